# %% [markdown]
# ## ImageMatcher: evaluation

# %% tags=["parameters"]
profile = "smoke"
home = None
source = None
figures = "figures"
config_path = None            # experiment YAML of the evaluated model (default: best_config_path)
best_config_path = None
benchmarks_dir = None
model_dir = None              # model folder; default TINYMATCH_HOME/models/<experiment>
experiment = None             # experiment name; default the config's experiment_name
raw_baseline = True           # compare with the raw extractor features (no training)
final_training = {}           # the final run's overrides; its `seeds` name the seed models to compare
n_boot = 1000                 # bootstrap replicates (resampling classes) of every interval
projector_classes = 20        # whole test classes in the projector export and the 2D views (half unseen when held out)
projector_images = 2000       # at most this many test images exported
comparison_loss = None        # the loss the headline run was also trained with, as a comparison (04_training)
seed = 0
few_shot_way = 20             # classes per few-shot episode (fewer when a split has fewer classes)
few_shot_shots = 1            # support pictures per class
few_shot_episodes = 1000      # seeded episodes per split
one_shot_runs = None          # the official Omniglot one-shot runs (zip or folder), scored once at the end
synthetic = {}                # the smoke profile's synthetic data (its one-shot runs are made too)

# %%
from pathlib import Path
from IPython.display import Markdown, display
from tinymatch.core import home_dir, figures_dir
from tinymatch.config import load_experiment_config
from tinymatch.core import save_table
from tinymatch.evaluation import (evaluate_model, open_set_evaluation, seed_spread, record_metrics, compare_losses,
                                  find_prediction_example, plot_prediction_example, plot_roc_curve, plot_confusion, tar_far_table)
from tinymatch.train import final_configs, loss_comparison_config
from tinymatch.report import open_set_summary, projector_text
from tinymatch.metrics import plot_score_distributions
from tinymatch.projector import export_split, plot_embedding_2d
from tinymatch.report import caption, pair_scoring_text, readable, few_shot_by_split
from tinymatch.report_text import one_shot_text, anchors_table, one_shot_targets
from tinymatch.evaluation import embed_rows
from tinymatch.fewshot import (ONE_SHOT_METHODS, make_one_shot_runs, read_one_shot_runs, score_one_shot_runs, method_distances,
                               one_shot_comparison, one_shot_run_errors, plot_one_shot_run, comparison_display)

cfg_file = config_path or best_config_path
cfg = load_experiment_config(cfg_file) if cfg_file else None
experiment = experiment or (cfg.experiment_name if cfg else None)
model_dir = Path(model_dir) if model_dir else home_dir(home) / "models" / experiment
run = evaluate_model(model_dir, split="test", recalibrate=True, source=source, home=home)   # threshold calibrated afresh on validation
matcher, cfg, index, features, ev = run.matcher, run.config, run.index, run.features, run.evaluation
figures = figures_dir(figures)
display(Markdown(f"Model folder `{model_dir.name}`: extractor **{cfg.feature_extractor}** at {cfg.image_size} px, "
                 f"embedding of dimension **{cfg.embedding_dim}**, triplet margin {cfg.margin:g}."))

# %% [markdown]
# ### The end-to-end model
#
# A matcher answers one question: do these two images show the same kind of thing? The trained
# FeatureModel maps an image to a point on the unit sphere; the ImageMatcher is the Siamese network built
# around it. Both images of a pair go through the *same* FeatureModel (one set of weights, used twice),
# and the output is the negative Euclidean distance between the two embeddings, a score in $[-2, 0]$:
# the closer to zero, the more alike. A pair is declared a match when its score is at least a threshold.
#
# The summary below shows the pair input `(2, H, W, 3)`, the two slices, the shared FeatureModel (its
# parameters counted once) and the distance layer.

# %%
matcher.model.summary(line_length=110)

# %% [markdown]
# ### A prediction example
#
# A first sanity check on data the model was trained on: among training images, a triplet (anchor,
# positive of the same class, negative of another class) whose anchor-positive score should exceed the
# anchor-negative score by the margin the triplet loss asked for.

# %%
example = find_prediction_example(matcher, index, split="train", margin=cfg.margin, seed=seed)
fig = plot_prediction_example(example, figures)
caption("An anchor with a positive and a negative from the train split and the matcher's score of each pair.",
        alt="Three images, anchor, positive and negative, with the two pair scores")
display(Markdown(f"Anchor-positive score **{example['anchor_positive_score']:.3f}**, anchor-negative score "
                 f"**{example['anchor_negative_score']:.3f}**: the gap "
                 f"{'reaches' if example['beats_margin'] else 'does not reach'} the margin {cfg.margin:g}."))

# %% [markdown]
# ### Evaluation on every test pair
#
# The study scored pairs with a generator that sent *both* images of every pair through the network,
# which made all $\binom{n}{2}$ pairs of its test set unaffordable: it stopped after 32,000 pairs. Here each
# test image is embedded once (the head applied to the cached extractor features, identical to running
# the full model since the extractor is frozen) and every metric is computed exactly from the embedding
# matrix, over **all** pairs.
#
# The decision threshold is chosen on the **validation** split, never on the test split: by default at
# the equal error rate (false accepts as frequent as false rejects); the thresholds for the best F1 and
# for a false-accept rate of $10^{-3}$ are stored beside it in `threshold.json`.

# %%
m = ev.metrics
display(Markdown(f"**{m['n_images']:,}** test images of {m['n_classes']} classes: **{m['n_pairs']:,} pairs**, "
                 f"scored in {sum(ev.seconds.values()):.1f} s in all. Threshold (EER on validation): "
                 f"**{matcher.threshold:.4f}**."))
matcher.calibration_table()

# %% [markdown]
# #### ROC curve and AUC
#
# The ROC curve traces the true-accept rate (matching pairs accepted) against the false-accept rate
# (non-matching pairs accepted) as the threshold moves; the area under it is the probability that a random
# matching pair scores higher than a random non-matching one (0.5 for guessing). The false-accept axis is
# logarithmic: with a few hundred times more non-matching than matching pairs, the low false-accept end is
# where a deployed matcher operates.

# %%
fig = plot_roc_curve(ev, figures)
caption("ROC curve over all test pairs, false-accept rate on a log scale: "
        "the higher the curve at the left, the better the matcher where it is used.",
        alt="ROC curve: true-accept rate against logarithmic false-accept rate, with the chance diagonal")
display(Markdown(f"AUC over all pairs: **{m['auc']:.4f}**; equal error rate **{m['eer']:.4f}**."))

# %% [markdown]
# How the two kinds of pairs spread along the distance axis (the score is minus this distance), with the
# chosen threshold: everything left of the dashed line is declared a match.

# %%
fig = plot_score_distributions(ev.stats, figures, threshold=-matcher.threshold)
caption("Distances of matching and non-matching test pairs with the calibrated threshold: their overlap is where the matcher errs.",
        alt="Two overlapping histograms of pair distances with a dashed threshold line")

# %% [markdown]
# #### True-accept rate at fixed false-accept rates
#
# For each tolerated rate of false matches, the share of true matches still accepted (the threshold
# is set on the test pairs themselves here, to describe the curve; the deployed threshold is the one
# calibrated on validation).

# %%
tar_table = tar_far_table(ev)
save_table(tar_table, "matcher/tar_at_far", figures)
tar_table

# %% [markdown]
# #### Confusion matrix at the chosen threshold
#
# Counted over all test pairs. Non-matching pairs vastly outnumber matching ones (one class in
# $C$ shares a label), so the rates in each row matter more than the raw counts.

# %%
fig = plot_confusion(ev, figures)
caption("Outcomes of all test pairs at the calibrated threshold; read the rates along each row.",
        alt="Two-by-two confusion matrix of match decisions against true pair labels")

# %% [markdown]
# #### Retrieval
#
# The same embeddings used as a search index: each test image queries all the others. Precision@1 is
# the share of queries whose nearest neighbour has their class; R-Precision is the precision among the
# first $R$ neighbours, $R$ being the number of other images of the class; MAP@R averages precision over
# the ranks of the correct ones within those $R$; Recall@K is the share of queries with at least one
# image of their class among the first $K$.

# %%
retrieval = ev.retrieval_table()
save_table(retrieval, "matcher/retrieval", figures)
retrieval

# %% [markdown]
# Wall time of each step (seconds):

# %%
times = ev.times_table()
save_table(times, "matcher/wall_times", figures)
times

# %% [markdown]
# ### Seen and unseen classes, trained and raw
#
# The question of the study is whether the recipe makes a matcher for *pictures in general*, so the
# same metrics are computed on two groups of classes: the **seen** classes (the test split: test pictures
# of classes the head was trained on) and the **unseen** classes (test pictures of the classes held out of
# training, HPT and calibration), when the run holds any out. Each group is scored with the trained
# embedding and with the **raw extractor features** (the cached features, L2-normalised, no training): the
# difference is what the triplet-loss head adds on top of ImageNet features. The unseen *validation*
# classes (a disjoint set) appear too: they are the only data the choice of an embedding for unseen classes
# is made on.
#
# The threshold calibrated on the seen-class validation split (for the raw features, on their own
# validation pairs by the same rule) is applied **unchanged** to every group; the columns
# `far_at_threshold` and `tar_at_threshold` give the false- and true-accept rates it actually yields there.
# AUC, P@1 and MAP@R carry 95% bootstrap intervals that resample *classes* (pairs and queries of one
# class are not independent); the draws are the same for both embeddings, so their differences are
# paired.

# %%
open_set = open_set_evaluation(matcher, index, home=home, features=features, raw=raw_baseline, n_boot=n_boot, seed=seed)
record_metrics(model_dir, open_set=open_set.to_dict())
save_table(open_set.table, "matcher/open_set", figures)
open_set.display_table()

# %% [markdown]
# Trained minus raw, per group, with the paired bootstrap interval of the difference; a side is said to
# win only when the interval excludes zero:

# %%
save_table(open_set.differences, "matcher/trained_vs_raw", figures)
open_set.differences.round(4)

# %% [markdown]
# The choice of embedding for classes never trained on, made on the unseen validation classes only:

# %%
open_set.unseen_choice()

# %% [markdown]
# ### Spread over training seeds
#
# The final configuration was trained with several seeds (same split, same held-out classes); each seed's
# model is scored on the seen and unseen test classes. The headline numbers above are the first seed's.

# %%
seed_dirs = {c.seed: home_dir(home) / "models" / c.experiment_name for c in final_configs(cfg, final_training)}
spread = seed_spread(seed_dirs, index, features)
record_metrics(model_dir, seeds=spread["record"])
save_table(spread["per_seed"], "matcher/seed_metrics", figures)
save_table(spread["summary"], "matcher/seed_spread", figures)
spread["per_seed"].round(4)

# %%
spread["summary"].round(4)

# %% [markdown]
# ### What the triplet recipe leaves on the table
#
# The study's semi-hard triplet loss stays the headline. As a comparison, the same head was trained with
# a loss from the metric-learning literature that does better on retrieval benchmarks, the
# multi-similarity loss (Wang et al., 2019: it weighs every informative positive and negative pair of a
# batch by how hard it is, instead of one semi-hard negative per anchor), on the same features with the
# same epochs, batches and seed. Both are scored on the same seen and unseen test classes, with the same
# class-bootstrap intervals.

# %%
if comparison_loss:
    other_dir = home_dir(home) / "models" / loss_comparison_config(cfg, comparison_loss).experiment_name
    other = open_set_evaluation(other_dir, index, home=home, features=features, raw=False, n_boot=n_boot, seed=seed,
                                groups={"seen": "test", "unseen": "unseen_test"})
    record_metrics(model_dir, loss_comparison={comparison_loss: other.to_dict()})
    losses_table = compare_losses({f"semi-hard triplet ({cfg.loss})": open_set, comparison_loss: other})
    save_table(losses_table, "matcher/loss_comparison", figures)
    caption("The headline triplet model and the same run trained with the comparison loss, on seen and unseen test classes "
            "(95% class-bootstrap intervals).")
else: losses_table = Markdown("_No comparison loss in this profile._")
losses_table

# %%
display(Markdown(open_set_summary(home, model_dir / "config.yaml")))

# %% [markdown]
# ### Few-shot accuracy
#
# Matching is also how a class is recognised from one or a few examples. An **N-way K-shot episode**
# draws N classes of a split, K pictures of each as the only known examples (the *support*) and one
# other picture of each as a *query*; each query is given the class whose support is nearest (the mean of
# its K unit embeddings, renormalised, compared by cosine). The accuracy is the share of queries answered
# right, averaged over seeded episodes, with a 95% interval over episodes. Both embeddings answer the
# same episodes, so their difference is paired; a side wins only when the interval of the difference
# excludes zero.

# %%
few_shot = few_shot_by_split({"raw extractor features": lambda rows: features[rows],
                              "trained matcher": lambda rows: embed_rows(matcher, index, rows, features)},
                             index, n_way=few_shot_way, k_shot=few_shot_shots, episodes=few_shot_episodes, seed=seed)
record_metrics(model_dir, few_shot=few_shot.to_dict("records"))
save_table(few_shot, "matcher/few_shot", figures)
caption(f"{few_shot_shots}-shot accuracy over {few_shot_episodes:,} seeded episodes per split (95% intervals), "
        "and each embedding's paired difference to the raw features.")
readable(few_shot.round(4))

# %% [markdown]
# ### The official one-shot runs
#
# When the profile names them, the official one-shot runs of the Omniglot release are scored here, once,
# at the end: 20 runs, each with one drawing of each of 20 characters of one evaluation alphabet (never in
# the background set the model was trained and tuned on) and 20 query drawings; a query is answered with
# its nearest training drawing, and the error of a run is the share of queries answered wrong. Three
# methods answer the same queries: the **trained matcher**, the **raw extractor features** it starts from,
# and the release's own baseline, the **Modified Hausdorff Distance** between the inked pixels of two
# drawings (Dubuisson and Jain 1994). Intervals resample whole runs (a run's queries share an alphabet),
# with the same draws for every method, so the differences are paired.

# %%
if one_shot_runs:
    if synthetic and not Path(one_shot_runs).exists(): make_one_shot_runs(one_shot_runs)   # the smoke profile's made-up runs
    runs = read_one_shot_runs(one_shot_runs, home)
    scores = {ONE_SHOT_METHODS[m]: score_one_shot_runs(runs, method_distances(m, matcher, home), seed=seed, progress=False)
              for m in ("raw", "matcher", "mhd")}          # the first, the raw features, is what the others are compared with
    one_shot = one_shot_comparison(scores)
    record_metrics(model_dir, one_shot={name: sc.to_dict() for name, sc in scores.items()})
    save_table(one_shot, "evaluation/one_shot_comparison", figures)
    measured = {r.method: (r.accuracy, r.accuracy_lo, r.accuracy_hi) for r in one_shot.itertuples()}
    trained = one_shot.set_index("method").loc[ONE_SHOT_METHODS["matcher"]]
    display(Markdown(one_shot_text(measured, (trained.difference, trained.difference_lo, trained.difference_hi), len(runs), runs[0].n_way)))
    caption("Accuracy of each method on the official runs (95% intervals over runs) and its paired difference to the raw features.")
    display(comparison_display(one_shot))
else: display(Markdown("_This profile names no official one-shot runs._"))

# %%
if one_shot_runs:
    errors = one_shot_run_errors(scores)
    save_table(errors, "evaluation/one_shot_run_errors", figures)
    caption("Error rate of each run for each method, and over all runs.")
    display(errors.round(3))

# %%
if one_shot_runs:
    worst = max(runs, key=lambda r: scores[ONE_SHOT_METHODS["matcher"]].per_run.set_index("run").loc[r.name, "errors"])
    plot_one_shot_run(worst, scores, out_dir=figures)
    caption(f"{worst.name}, the run the trained matcher gets most wrong: each query, its right answer and each method's choice.",
            alt="Rows of handwritten characters: a query, its right answer and each method's chosen drawing framed green or red")

# %% [markdown]
# #### Published figures on the same runs
#
# The anchors below are **published** numbers, measured by others under the conditions stated; they are
# not this run's measurements. This run's are beside them, and the targets are read from its numbers.

# %%
if one_shot_runs:
    caption("Published one-shot accuracies on the 20 official runs, with their conditions, beside this run's measurements.")
    display(anchors_table(measured))

# %%
if one_shot_runs:
    targets = one_shot_targets((trained.accuracy, trained.accuracy_lo, trained.accuracy_hi),
                               (trained.difference, trained.difference_lo, trained.difference_hi))
    save_table(targets, "evaluation/one_shot_targets", figures)
    caption("The one-shot targets and whether this run meets them.")
    display(targets)

# %% [markdown]
# ### The embedding space
#
# The test embeddings are exported for TensorBoard's Embedding Projector (interactive 3D PCA, t-SNE and
# UMAP with thumbnails, seen and unseen classes marked): run `tensorboard --logdir <folder below>` and open the
# *Projector* tab. For this report, two flat views of the same points: PCA, which keeps the large-scale layout, and
# t-SNE, which keeps neighbourhoods. Tight, separate clusters mean images of a class map close together.

# %%
proj_dir, proj_emb, proj_rows = export_split(matcher, index, experiment=experiment, home=home,
                                             max_images=projector_images, n_classes=projector_classes, features=features, seed=seed)
seen = index["seen"].to_numpy()[proj_rows] if "seen" in index else None
display(Markdown(projector_text(profile, proj_dir, index, proj_rows)))
labels = index["class_id"].to_numpy()[proj_rows]; names = index["class_name"].to_numpy()[proj_rows]
fig = plot_embedding_2d(proj_emb, labels, names, "pca", figures, n_classes=None, seed=seed, seen=seen)
caption("PCA of the projector's test embeddings, one colour per class, unseen classes as hollow triangles: the large-scale layout.",
        alt="Scatter plot of embeddings projected on two principal components, coloured by class")

# %%
fig = plot_embedding_2d(proj_emb, labels, names, "tsne", figures, n_classes=None, seed=seed, seen=seen)
caption("t-SNE of the same points: tight, separate clusters mean images of one class map close together.",
        alt="Scatter plot of a t-SNE map of the embeddings, coloured by class")

# %% [markdown]
# ### Scoring speed
#
# Embedding once and scoring by matrix against the study's pair generator, on the same images and model.
# This was measured separately from this report's run, by `benchmarks/pair_scoring.py` (when it has been run):

# %%
display(Markdown(pair_scoring_text(benchmarks_dir)))
