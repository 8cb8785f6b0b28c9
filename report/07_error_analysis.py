# %% [markdown]
# ## Error analysis
#
# The metrics of the evaluation say how often the matcher is right; this section shows *how* it is wrong:
# what a search returns for a few queries, which classes the embedding serves well and badly, which pairs
# of different classes it is surest are the same, and what a declared match is worth at the threshold the
# matcher deploys. Everything is computed on the test split, separately for the classes the model was
# trained on (**seen**) and, when the experiment held classes out, for classes it never saw (**unseen**):
# each group is its own gallery.

# %% tags=["parameters"]
home = None
source = None
figures = "figures"
best_config_path = None
seed = 0
error_queries = 4              # queries in each retrieval figure
error_top_k = 5                # results shown per query
error_classes = 10             # classes at each end of the AP figure
error_pairs = 8                # false pairs shown

# %%
from IPython.display import Markdown, display
from tinymatch.core import home_dir, figures_dir
from tinymatch.config import load_experiment_config
from tinymatch.core import save_table
from tinymatch.data import load_dataset
from tinymatch.matcher import ImageMatcher
from tinymatch.evaluation import extractor_features, embed_rows
from tinymatch.metrics import pair_statistics, plot_precision_recall
from tinymatch.report import caption
from tinymatch.errors import (GROUPS, seen_unseen_groups, groups_summary, class_ap_table, class_ap_extremes, plot_class_ap,
                              plot_retrieval, plot_false_matches, false_match_table, operating_table, operating_point_text)

cfg = load_experiment_config(best_config_path)
model_dir = home_dir(home) / "models" / cfg.experiment_name
matcher = ImageMatcher.load(model_dir)          # with the threshold calibrated on validation by the evaluation section
cfg = load_experiment_config(model_dir / "config.yaml")
index = load_dataset(cfg, source=source, home=home, progress=False)
features = extractor_features(matcher, index, home)
figures = figures_dir(figures)
groups = seen_unseen_groups(index, lambda rows: embed_rows(matcher, index, rows, features))
display(Markdown(groups_summary(groups) + f" Threshold ({matcher.rule} rule, calibrated on validation images of seen "
                 f"classes): score ≥ **{matcher.threshold:.4f}**."))

# %% [markdown]
# ### Retrieval examples
#
# Each row is a query (blue frame) and its nearest test images of the same group, best first, with the
# matcher's score (minus the L2 distance between embeddings; 0 means identical). Green frames are images
# of the query's class, red frames images of another class.

# %%
for group in GROUPS:
    if group in groups:
        fig = plot_retrieval(groups[group], error_queries, error_top_k, seed, figures)
        caption(f"{group.capitalize()} classes: each query (blue) with its {error_top_k} nearest test images; "
                "count the red frames, the wrong answers.",
                alt=f"Rows of small images: a {group}-class query followed by its ranked results framed green or red, with scores")
    else: display(Markdown(f"_No {group}-class test images in this run: no {group} retrieval figure._"))

# %% [markdown]
# ### Best and worst classes by average precision
#
# Every test image queries the rest of its group; its average precision (AP) is read over the whole
# ranking, and a class's AP is the mean over its images. The bars show the best and the worst classes,
# the dashed line the mean over all classes of the group (the mean AP over images, unlike MAP@R, reads
# the full ranking rather than the first $R$ results).

# %%
ap_tables = {group: class_ap_table(g) for group, g in groups.items()}
for group, table in ap_tables.items():
    save_table(table, f"errors/class_ap_{group}", figures)
    fig = plot_class_ap(table, group, error_classes, figures)
    caption(f"{group.capitalize()} classes with the highest and lowest average precision: "
            "the gap shows how uneven the embedding is across classes.",
            alt=f"Horizontal bars of average precision for the best and worst {group} classes, with the group mean dashed")
    display(Markdown(f"**{group.capitalize()} classes**, best and worst by AP (all {len(table)} in `errors/class_ap_{group}.csv`):"))
    display(class_ap_extremes(table, min(5, error_classes)).round({"ap": 4}))

# %% [markdown]
# ### The most confident false matches
#
# The highest-scoring pairs of images of *different* classes among all pairs of each group: the cases the
# matcher is surest about and wrong. "(match)" marks the pairs the operating threshold accepts. Such pairs
# are often near-duplicates across classes, classes that overlap in meaning, or images whose main object
# is not the labelled one.

# %%
for group, g in groups.items():
    if g.n_classes < 2:
        display(Markdown(f"_The {group} group has a single class: no different-class pairs._")); continue
    fig = plot_false_matches(g, error_pairs, matcher.threshold, figures)
    caption(f"The {group}-class pairs of different classes that score highest: look for what makes the two images alike.",
            alt=f"Pairs of {group}-class images of different classes side by side, with class names and scores")
    display(false_match_table(g, error_pairs).drop(columns=["row_a", "row_b"]).round({"score": 4}))

# %% [markdown]
# ### What a match is worth: precision at the operating threshold
#
# The ROC curve counts false accepts as a share of the non-matching pairs. A user who sees "match"
# wants the other share: of the pairs declared a match, how many are one. With $C$ balanced classes only
# about $1/C$ of all pairs match, so a false-accept rate that looks small can still mean that most
# declared matches are wrong. The curve shows precision against recall over all test pairs of the seen
# classes as the threshold moves; the dot is the deployed threshold, and the dotted line the precision of
# accepting pairs at random.

# %%
seen_stats = pair_statistics(groups["seen"].embeddings, groups["seen"].labels)
fig = plot_precision_recall(seen_stats, -matcher.threshold, figures, name="precision_recall_seen",
                            title="Precision-recall over all seen-class test pairs")
caption("Precision against recall over all seen-class test pairs; the dot is the deployed threshold: how many declared matches are real.",
        alt="Precision-recall curve with the operating point marked and the chance level dotted")
display(Markdown(operating_point_text(seen_stats, matcher.threshold, "seen-class test pairs")))

# %% [markdown]
# The same threshold on each group (the unseen classes did not take part in choosing it):

# %%
operating = operating_table(groups, matcher.threshold)
save_table(operating, "errors/operating_point", figures)
operating.round({"positive_share": 4, "precision": 4, "recall": 4, "far": 5})
