# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% tags=["parameters"]
profile = "smoke"
home = None                   # TINYMATCH_HOME (an extractor the registry does not describe is built once to read its feature width)
figures = "figures"
hpt_config_path = "configs/hpt.yaml"
example_config_path = "configs/experiment.yaml"   # the config whose head is shown as an example
benchmarks_dir = "benchmarks/results"
final_training = {}           # the profile's final-training overrides (epochs, patience, seeds)
seed = 0
source = None
dataset_title = None          # the readable name the profile gives its data
dataset_path = None           # the run folder's dataset.json (the description, computed once)

# %%
from IPython.display import Markdown, display
from tinymatch.config import load_experiment_config, load_hpt_config
from tinymatch.extractors import get_extractor, registry_table
from tinymatch.losses import plot_triplet_regions
from tinymatch.model import build_head
from pathlib import Path
from tinymatch.report import (resolution_table, best_input_size, input_size_text as benchmark_size_text, levers_table,
                              benchmark_provenance_text, decision_table, caption, levers_summary_text)
from tinymatch.report_text import (dataset_facts, is_tiny_imagenet, transfer_text, extractor_text, input_size_text, fixed_fields_text,
                                   open_set_text, pretraining_text)
from tinymatch.train import model_summary_text
hcfg = load_hpt_config(hpt_config_path)
example = load_experiment_config(example_config_path)
facts = dataset_facts(source, home, dataset_title, dataset_path)
measured_here = bool(benchmarks_dir) and is_tiny_imagenet(facts)   # the benchmarks on record measured Tiny ImageNet

# %% [markdown]
# ## Model architecture
#
# ### A Siamese network
#
# Deciding whether two images match is a question about a *pair*. A Siamese network (Bromley et al., 1993;
# used for one-shot image recognition by Koch et al., 2015) answers it with two identical branches that
# share one set of weights: each branch turns one image into a vector, and the answer is a function of the
# distance between the two vectors. Sharing the weights makes the distance symmetric (swapping the images
# changes nothing) and means only one branch has to be learned. The branch here is a convolutional
# network followed by a small fully connected head; convolutions suit images because neighbouring pixels
# are correlated and because a filter is reused at every position, which needs far fewer weights than a
# dense layer on the raw pixels.
#
# ### The triplet loss
#
# Following FaceNet (Schroff et al., 2015), the branch $f$ is trained so that an image $x^a$ (the *anchor*)
# is closer to every image $x^p$ of its class (a *positive*) than to any image $x^n$ of another class (a
# *negative*), by at least a margin $\alpha$:
#
# $$
# \left\| f(x^a) - f(x^p) \right\|_2 + \alpha \;<\; \left\| f(x^a) - f(x^n) \right\|_2 .
# $$
#
# A triplet that breaks this rule costs the amount by which it breaks it, and the loss of a batch is the
# mean over its triplets:
#
# $$
# L = \frac{1}{N} \sum_{i=1}^{N} \max\!\Big( \left\| f(x_i^a) - f(x_i^p) \right\|_2
#     - \left\| f(x_i^a) - f(x_i^n) \right\|_2 + \alpha,\; 0 \Big).
# $$
#
# FaceNet writes the rule with squared distances; tensorflow-addons' `TripletSemiHardLoss`, which the
# study used, and tinymatch's exact re-implementation of it use plain Euclidean distances as above.
# The embeddings are L2-normalised, so they lie on the unit sphere, every distance is in $[0, 2]$, and
# the margin $\alpha$ is best read as a fraction of that largest distance.

# %%
display(Markdown(f"This run uses $\\alpha = {hcfg.base.margin:g}$ for every trial and the final training "
                 f"({hcfg.base.margin / 2:.0%} of the largest possible distance)."))

# %% [markdown]
#
# ### Online semi-hard mining
#
# Most triplets drawn at random are already satisfied and teach nothing; the hardest ones are often
# mislabelled or outliers and make training unstable. FaceNet's answer is to choose negatives *inside
# each batch* ("online") among the *semi-hard* ones: farther from the anchor than the positive, but
# within the margin, $d(a, p) < d(a, n) < d(a, p) + \alpha$. Precisely, for each anchor-positive pair the
# chosen negative is the closest one that is still farther from the anchor than the positive (if it
# lies beyond the margin, the pair costs nothing); when every negative is closer than the positive, the
# farthest of them is used. Every anchor-positive pair of
# a batch contributes, so batches are built to hold several images of each of their classes.
#
# Online mining needs only the single branch $f$ during training: the pairs and triplets are formed
# from the batch's embeddings. The two-branch Siamese model is assembled only for the end-to-end matcher
# (evaluation section).

# %%
fig = plot_triplet_regions(margin=hcfg.base.margin, out_dir=figures)
caption("The three regions of a negative (easy, semi-hard, hard) and the loss of one triplet: "
        "it reaches zero one margin beyond the positive.",
        alt="Left: a distance axis divided into hard, semi-hard and easy regions; right: the triplet loss falling linearly to zero")

# %% [markdown]
# Left: where a negative falls relative to the anchor-positive distance and the margin. Right: the loss
# one triplet contributes as its negative moves away from the anchor; it vanishes once the negative is a
# margin beyond the positive.
#
# ### Feature extractor and transfer learning

# %%
display(Markdown(transfer_text(facts)))
registry_table()

# %%
display(Markdown(extractor_text(profile, hcfg.base, facts)))

# %% [markdown]
# #### Choosing the input size

# %%
config_file, repo = Path(hpt_config_path).resolve(), Path.cwd().resolve()   # papermill runs from the repository's top
config_shown = f"`{config_file.relative_to(repo).as_posix()}`" if config_file.is_relative_to(repo) else "the profile's HPT config"
display(Markdown(input_size_text(facts, hcfg.base, config_shown)))
if measured_here: display(Markdown(benchmark_provenance_text(Path(benchmarks_dir) / "extraction.json")))
if measured_here: display(Markdown(benchmark_size_text(best_input_size(benchmarks_dir), hcfg.base.image_size)))
resolution_table(benchmarks_dir) if measured_here else Markdown("_No input-size measurement on this data: the size is the config's._")

# %% [markdown]
# Because the extractor is frozen and augmentation is off by default, an image's features never change:
# tinymatch runs every image through the extractor **once**, caches the features on disk, and trains
# every epoch, HPT trial and evaluation on the cache. Turning `image_augmentation` on (random zoom, flip,
# rotation, translation, brightness and contrast) puts the extractor back into the training loop, as
# in the study, at a much higher cost per epoch.
#
# ### The FeatureModel head
#
# On top of the features, the trainable head is:
#
# 1. **Flatten**, only when an extractor returns a feature map instead of a vector;
# 2. **feed-forward blocks**, each `Dense -> BatchNormalization -> ReLU -> Dropout`, whose widths are a
#    hyperparameter (`intermediate_ff_block_units`, possibly none);
# 3. a **Dense** projection to the embedding dimension;
# 4. **L2 normalisation**, so that $\|f(x)\|_2 = 1$ for every image.
#
# A larger embedding can hold more information, but distances in many dimensions concentrate and the
# head has more weights to fit; which size works best is left to the hyperparameter search, together
# with the blocks and the dropout rate. The complete FeatureModel is
# `image -> [augmentation] -> frozen extractor -> head -> embedding`.

# %%
feature_dim = get_extractor(str(hcfg.base.feature_extractor)).discover_output_dim(hcfg.base.image_size, home)
head = build_head(feature_dim, example)
display(Markdown(f"As an example, the head of `{example_config_path}` (blocks {example.intermediate_ff_block_units}, "
                 f"dropout {example.dropout:g}, {example.embedding_dim}-d embedding) on {feature_dim}-d features:"))
print(model_summary_text(head))

# %% [markdown]
# ### Metrics
#
# The matcher gives each pair a score (minus the distance between the two embeddings) and declares a
# match above a threshold. The report measures it in two ways:
#
# - **As a pair classifier.** The ROC curve plots the true-accept rate (matching pairs accepted)
#   against the false-accept rate (non-matching pairs accepted) over every threshold; its area, the
#   **ROC AUC**, is the probability that a random matching pair scores higher than a random non-matching
#   one. It is computed exactly over *all* pairs of the test split. The **equal error rate** is where
#   false accepts and false rejects are equally frequent; the **true-accept rate at a fixed false-accept
#   rate** is what a deployment with a tolerated error rate gets; the **confusion matrix** counts the
#   four outcomes at the threshold calibrated on the validation split.
# - **As a search engine.** Each test image queries all the others, ranked by distance.
#   **Precision@1** is the share of queries whose nearest neighbour has their class. With $R$ the number
#   of other images of the query's class, **R-Precision** is the share of the first $R$ results of that
#   class, and **MAP@R** (Musgrave et al., 2020) rewards ranking them first:
#   $\mathrm{MAP@R} = \frac{1}{R}\sum_{i=1}^{R} P(i)\,[\text{result } i \text{ is of the class}]$, with $P(i)$ the
#   precision among the first $i$ results. **Recall@K** is the share of queries with at least one image
#   of their class among the first $K$.
#
# ## Training procedure
#
# A training run is described by one YAML config; the study's fields (experiment name, seed,
# augmentation switch, extractor, embedding dimension, block widths, dropout, epochs, early-stopping
# patience) plus the input size, learning rate, batch size, images per class in a batch, margin and the
# loss implementation. The example config:

# %%
example.table()

# %%
display(Markdown(fixed_fields_text(profile, hcfg.base, facts)))

# %%
if measured_here: display(Markdown(benchmark_provenance_text(Path(benchmarks_dir) / "training_levers.json")))
levers_table(benchmarks_dir) if measured_here else Markdown("_No training-levers measurement on this data._")

# %%
if measured_here:
    caption("Training levers measured on validation data: seen-class and unseen-validation-class AUC, P@1 and MAP@R per change")

# %%
dataset_levers_dir = Path(benchmarks_dir) / profile if benchmarks_dir else None   # dataset_levers.py --out-dir benchmarks/results/<profile>
dataset_levers_here = not measured_here and dataset_levers_dir is not None and (dataset_levers_dir / "dataset_levers.json").exists()
if dataset_levers_here:
    display(Markdown("Levers that could close the gap, each one change to the base, measured on this data's validation split "
                     "only (`benchmarks/dataset_levers.py`). " + levers_summary_text(dataset_levers_dir) + " "
                     + benchmark_provenance_text(dataset_levers_dir / "dataset_levers.json")))
levers_table(dataset_levers_dir, "dataset_levers") if dataset_levers_here else None

# %%
if dataset_levers_here:
    caption("Levers on validation data: cost, seen and unseen-validation AUC, P@1, MAP@R and unseen N-way 1-shot accuracy per change")

# %% [markdown]
# ## Open-set protocol and the data behind every decision
#
# ### Seen and unseen classes

# %%
h = hcfg.base
display(Markdown(open_set_text(facts, h) + f"\n\nThe sets are drawn with split seed {h.split_seed}; the final model is "
                 f"trained with seeds {final_training.get('seeds', [h.seed])}."))

# %%
display(Markdown(pretraining_text(facts)))

# %% [markdown]
# ### Decisions and the data they were made on
#
# Every choice that shapes the model or the matcher, with the data it was made on. The test pictures
# and the unseen test classes appear in no row except as what is finally scored; where a benchmark on
# record was measured before this protocol, or on another dataset, the row says so.

# %%
decision_table(hpt_config_path, final_training, benchmarks_dir, facts)
