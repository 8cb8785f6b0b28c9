# %% [markdown]
# ## Conclusion

# %% tags=["parameters"]
profile = "smoke"
home = None
source = None
figures = "figures"
hpt_config_path = "configs/hpt.yaml"
best_config_path = None
manifest_path = None
benchmarks_dir = "benchmarks/results"
seed = 0

# %%
import json
from pathlib import Path
import pandas as pd
from IPython.display import Markdown, display
from tinymatch.report import performance_table, conclusion_summary

# %%
summary = conclusion_summary(home=home, best_config_path=best_config_path, hpt_config_path=hpt_config_path)
display(Markdown(summary))

# %% [markdown]
# The whole training recipe is data-agnostic: the same commands retrain the matcher for another image
# collection laid out like Tiny ImageNet (or any folder tree indexed the same way), and the feature
# cache makes the tuning affordable on a CPU because the frozen extractor sees each image only once.

# %% [markdown]
# ## Performance of the pipeline
#
# Each row compares tinymatch's way of doing a piece of work with the study's way of doing the same
# work, measured in the same benchmark run (`benchmarks/`, results in `benchmarks/results/*.json`).

# %%
perf = performance_table(benchmarks_dir)
display(perf if len(perf) else Markdown("_No benchmark results found in `benchmarks/results/`._"))

# %% [markdown]
# ## Run manifest

# %%
manifest = json.loads(Path(manifest_path).read_text()) if manifest_path and Path(manifest_path).exists() else {}
steps = pd.DataFrame(sorted(manifest.get("steps", {}).items()), columns=["notebook", "seconds"])
display(Markdown(f"**Profile** `{manifest.get('profile')}`, started {manifest.get('started')}, seed {manifest.get('seed')}."))
display(Markdown(f"**Machine:** {manifest.get('machine')}"))
display(Markdown(f"**Data:** {manifest.get('data')}"))
display(steps)
display(pd.DataFrame(sorted(manifest.get("packages", {}).items()), columns=["package", "version"]))
