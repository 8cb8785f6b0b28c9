# %% [markdown]
# ## Conclusion

# %% tags=["parameters"]
profile = "smoke"
home = None
figures = "figures"
hpt_config_path = "configs/hpt.yaml"
best_config_path = None
manifest_path = None
benchmarks_dir = "benchmarks/results"

# %%
from pathlib import Path
from IPython.display import Markdown, display
from tinymatch.report import (performance_table, conclusion_summary, manifest_tables, open_set_summary, hpt_trials_table,
                              dedup_scale_text, near_duplicate_table, benchmark_provenance_text, caption)

# %%
display(Markdown(conclusion_summary(home=home, best_config_path=best_config_path, hpt_config_path=hpt_config_path)))

# %% [markdown]
# ### Seen and unseen classes
#
# Whether the recipe carries over from faces to objects in general shows in the classes the head never
# saw. The statements below are generated from the evaluation's records; the comparison of the trained
# head with the raw extractor features names a winner only where the paired bootstrap interval of the
# difference excludes zero.

# %%
display(Markdown(open_set_summary(home=home, best_config_path=best_config_path)))

# %% [markdown]
# **What these numbers cannot show.** The extractor was pretrained on ImageNet, and Tiny ImageNet's classes
# are ImageNet synsets and its pictures were taken from ImageNet (likely including many of the very images
# the extractor learned from). The unseen classes are unseen by the trained head only: the gap between seen
# and unseen classes measures how much the head specialises to its training classes, not how the matcher
# would fare on kinds of objects no part of it has learned; and the raw features are scored on classes they
# were trained to separate, which favours them against the head. The unseen scores and the raw baseline are
# therefore likely optimistic for a domain the extractor never saw, and a claim of generalisation beyond
# ImageNet would need an extractor pretrained without these classes (or a dataset disjoint from ImageNet).

# %% [markdown]
# The matcher answers the three questions of the introduction with one embedding: whether two images show
# the same kind of thing (a threshold on the distance), which images of a collection are most like a
# query (nearest neighbours), and which are near-duplicates (pairs much closer than any two images of
# one class). The training recipe is data-agnostic: the same commands retrain it for any image collection
# laid out like Tiny ImageNet, and the feature cache makes the tuning affordable on a CPU because the
# frozen extractor sees each image only once.

# %% [markdown]
# ## Performance of the pipeline (measured separately, not by this run)
#
# Each row compares tinymatch's way of doing a piece of work with the study's way of doing the same
# work, both measured in one benchmark run. These benchmarks were **not** run by this report: the scripts
# in `benchmarks/` measured them separately and stored the results in `benchmarks/results/*.json`, which
# this section only reads. Each row gives the date, machine and command of its measurement as the file
# records them ("not recorded" where it does not). Absolute times vary with the machine and its load: a
# benchmark measures only when the machine is quiet (1-minute load average at most 0.5 at its start) unless
# told otherwise, and the "measured alone" column marks a row taken under load, or whose load at the start
# was not recorded; each ratio compares two ways measured back to back.

# %%
perf = performance_table(benchmarks_dir)
display(perf if len(perf) else Markdown("_No benchmark results found in `benchmarks/results/`._"))

# %% [markdown]
# ### Search and dedup of large collections (measured separately, not by this run)
#
# A gallery of a million pictures must be deduplicated in minutes and in a few GB, and a duplicate must be
# a copy of the same picture, not another picture of its class. The first paragraph comes from
# `benchmarks/index_scale.py` (synthetic embeddings with planted near-duplicates); the table from
# `benchmarks/near_duplicates.py`: copies of real pictures (re-encoded, cropped, mirrored, brightened,
# upscaled) hidden among distinct pictures, found by `tinymatch dedup` and by perceptual hashing.

# %%
display(Markdown(dedup_scale_text(benchmarks_dir)))
if (Path(benchmarks_dir) / "near_duplicates.json").exists():
    display(Markdown(benchmark_provenance_text(Path(benchmarks_dir) / "near_duplicates.json")))
    display(near_duplicate_table(benchmarks_dir))
    caption("Share of planted copies found per transform, and pair precision, of `tinymatch dedup` and perceptual hashing.")

# %% [markdown]
# ## Run manifest
#
# What this report was computed from: the profile, the machine, the data and its checksum, the wall
# time of each section before this one, and the versions of the packages that shape the results.

# %%
manifest = manifest_tables(manifest_path)
display(Markdown(manifest["summary"]))
manifest["steps"]

# %%
manifest["packages"]

# %% [markdown]
# ## Appendix: every HPT trial
#
# The trials of the study as stored in its database (also in `figures/hpt/trials.csv`), best first.

# %%
hpt_trials_table(figures)
