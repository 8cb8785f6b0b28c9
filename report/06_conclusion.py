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
source = None
dataset_title = None          # the readable name the profile gives its data
dataset_path = None           # the run folder's dataset.json (the description, computed once)

# %%
from pathlib import Path
from IPython.display import Markdown, display
from tinymatch.report import (performance_table, conclusion_summary, manifest_tables, open_set_summary, hpt_trials_table,
                              dedup_scale_text, near_duplicate_table, benchmark_provenance_text, caption, other_reference_runs)
from tinymatch.report_text import dataset_facts, limits_text, recipe_text
facts = dataset_facts(source, home, dataset_title, dataset_path)

# %%
display(Markdown(conclusion_summary(home=home, best_config_path=best_config_path, hpt_config_path=hpt_config_path, facts=facts)))

# %% [markdown]
# ### Seen and unseen classes
#
# Whether the recipe carries over from faces to pictures in general shows in the classes the head never
# saw. The statements below are generated from the evaluation's records; the comparison of the trained
# head with the raw extractor features names a winner only where the paired bootstrap interval of the
# difference excludes zero.

# %%
display(Markdown(open_set_summary(home=home, best_config_path=best_config_path)))

# %%
display(Markdown(limits_text(facts)))

# %%
display(Markdown(recipe_text(facts)))

# %% [markdown]
# ### The other reference run (measured by another run, not this one)
#
# The repository commits one reference report per dataset; each states the others' headline results,
# read from their committed records, with the date, machine and command that measured them.

# %%
display(Markdown(other_reference_runs(profile)))

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
