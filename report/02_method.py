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

# %%
from IPython.display import Markdown, display
from tinymatch.config import load_experiment_config, load_hpt_config
from tinymatch.extractors import get_extractor, registry_table
from tinymatch.losses import plot_triplet_regions
from tinymatch.model import build_head
from pathlib import Path
from tinymatch.report import (resolution_table, best_input_size, input_size_text, levers_table, benchmark_provenance_text,
                              decision_table, extractor_text)
from tinymatch.train import model_summary_text
from tinymatch.report import caption
hcfg = load_hpt_config(hpt_config_path)
example = load_experiment_config(example_config_path)

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
#
# Training a convolutional network from scratch on 64x64 images of 200 classes takes far more compute
# than this study has. Instead, the branch starts with a network already trained on ImageNet and kept
# **frozen**: feature-based transfer learning, where the pretrained network's last pooled features
# feed a new, small model trained for the task (fine-tuning, which also updates the pretrained weights,
# is left out). The extractors tinymatch knows by name are below; any TF Hub handle or SavedModel
# folder can also be given directly in a config's `feature_extractor` field.

# %%
registry_table()

# %%
display(Markdown(extractor_text(profile, hcfg.base)))

# %% [markdown]
# #### Choosing the input size
#
# Tiny ImageNet's images are 64x64; the extractor was trained at 224x224. Upsampling costs extraction
# time roughly with the number of pixels, and buys feature quality. The extraction benchmark measured
# both on this machine (raw features, no training, on a class-stratified sample of validation images
# of the seen classes; the decision table at the end of this section says which). The rule: the size whose raw features give the best
# validation MAP@R, as long as caching the whole dataset at that size fits the study's budget. The same
# benchmark measured a test-time flip (the mean of an image's and its mirror's features): the columns
# `flip` give its quality, for a second extraction pass.

# %%
if benchmarks_dir: display(Markdown(benchmark_provenance_text(Path(benchmarks_dir) / "extraction.json")))
if benchmarks_dir:
    display(Markdown(input_size_text(best_input_size(benchmarks_dir), hcfg.base.image_size)))
resolution_table(benchmarks_dir) if benchmarks_dir else Markdown("_No benchmark folder given._")

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
display(Markdown(f"Fixed fields of profile `{profile}` that depart from the study or that the study did not have: a margin of "
                 f"{hcfg.base.margin:g} (tfa's default is 1.0), batches of {hcfg.base.batch_size // hcfg.base.samples_per_class} classes "
                 f"x {hcfg.base.samples_per_class} images, and a raw-feature share of {hcfg.base.raw_share_after_training:g} mixed into "
                 "the trained embedding. They were chosen on **validation** data only (seen-class validation images, and the unseen "
                 "*validation* classes for the raw-feature share) by training one tuned head with each variant "
                 "(`benchmarks/training_levers.py`). Each row is one lever: what it changes, what it cost, and what it gave."))

# %%
if benchmarks_dir: display(Markdown(benchmark_provenance_text(Path(benchmarks_dir) / "training_levers.json")))
levers_table(benchmarks_dir) if benchmarks_dir else Markdown("_No benchmark folder given._")

# %%
caption("Training levers measured on validation data: seen-class and unseen-validation-class AUC, P@1 and MAP@R per change")

# %% [markdown]
# ## Open-set protocol and the data behind every decision
#
# ### Seen and unseen classes
#
# A matcher for objects in general must work on kinds of objects it was never trained on, so the study
# holds classes out. Two disjoint, seeded sets of classes are drawn before anything else:
#
# - the **unseen test classes**: nothing but the final scoring sees them. Their official-train images are
#   not used at all; their official-val images form the `unseen_test` split;
# - the **unseen validation classes**: their official-train images (`unseen_valid`) serve only choices
#   that concern unseen classes (here: whether the trained head or the raw features should embed classes
#   never trained on); never training, the HPT objective or threshold calibration. Their official-val
#   images are not used.
#
# The remaining **seen** classes are split into `train`, `valid` (early stopping, the HPT objective, the
# threshold) and `test` (their official-val images). Held-out rows carry split values of their own, so
# no part of the pipeline that reads `train`, `valid` or `test` can pick them up by accident; a test
# (`tests/test_held_out.py`) checks that their rows reach no array the trainer, the HPT objective or the
# calibration receives.

# %%
h = hcfg.base
display(Markdown(f"This run holds out **{h.held_out_classes} unseen test classes** and **{h.held_out_valid_classes} "
                 f"unseen validation classes** (drawn with split seed {h.split_seed}); the final model is trained with "
                 f"seeds {final_training.get('seeds', [h.seed])}."))

# %% [markdown]
# ### ImageNet overlap
#
# Tiny ImageNet's 200 classes are ImageNet synsets and its images were taken from ImageNet, on which the
# frozen extractor was pretrained as a classifier over the 1,000 ILSVRC classes (this report does not
# check how many of the 200 are among those 1,000; the overlap is expected to be large). "Unseen" here
# means unseen by the *head*, not by the extractor: the extractor has most likely been trained to separate
# these classes, probably on many of these very images. Two consequences for what the comparisons can show:
#
# - **seen vs unseen** measures how much the head's training specialises it to its training classes,
#   relative to classes the extractor already knows. It does not measure generalisation to object kinds
#   that no part of the model has learned; on truly novel kinds both numbers would likely be lower;
# - **trained vs raw features** measures what the triplet-loss head adds on top of features that were
#   already optimised to separate these classes. The raw features therefore start from an advantage that
#   a new domain would not give them, and a head that does not beat them here may still help elsewhere,
#   or the opposite.
#
# A clean test of generalisation would need an extractor pretrained without these classes (or a
# dataset disjoint from ImageNet); this study does not have one and says so rather than claim it.
#
# ### Decisions and the data they were made on
#
# Every choice that shapes the model or the matcher, with the data it was made on. The official-val
# images (the test split) and the unseen test classes appear in no row except as what is finally
# scored; where a benchmark on record was measured before this protocol, the row says so.

# %%
decision_table(hpt_config_path, final_training, benchmarks_dir)
