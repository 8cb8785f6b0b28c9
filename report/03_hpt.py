# %% [markdown]
# ## Hyperparameter tuning

# %% tags=["parameters"]
home = None
source = None
figures = "figures"
hpt_config_path = "configs/hpt.yaml"
best_config_path = None       # where the best trial's training config is written
synthetic = {}
force = False
seed = None                   # overrides the study config's seed when set
n_trials = None               # overrides the study config's n_trials when set
storage = None                # Optuna storage URL override (default SQLite under home/exp/hpt_studies/)
workers = 1                   # processes filling the study at once (the cpu profile: 2, one per core)
dataset_title = None          # the readable name the profile gives its data
dataset_path = None           # the run folder's dataset.json (the description, computed once)

# %%
import time
from pathlib import Path
from IPython.display import Markdown, display
from tinymatch.config import load_hpt_config
from tinymatch.core import save_table
from tinymatch.synthetic import ensure_synthetic_dataset
from tinymatch.report import seed_loss_comparison
from tinymatch.hpt import (run_study, run_parallel_study, search_space_table, storage_url, count_trials, trials_table, best_config,
                           plot_hpt_figures,
                           direction, hpt_observations, objective_agreement)
from tinymatch.report import show_figure
from tinymatch.report_text import dataset_facts, is_tiny_imagenet
if synthetic: ensure_synthetic_dataset(source, **synthetic)
facts = dataset_facts(source, home, dataset_title, dataset_path)
hcfg = load_hpt_config(hpt_config_path)
if seed is not None and seed != hcfg.base.seed: hcfg.base = hcfg.base.replace(seed=seed)

# %% [markdown]
# ### How the search works
#
# The head has three knobs whose best values cannot be guessed: the embedding dimension, the widths of the
# feed-forward blocks and the dropout rate. We let [Optuna](https://optuna.org/) search them. One *study*
# is a search; each *trial* trains one head with one choice of the knobs and reports a score.
#
# The sampler is the Tree-structured Parzen Estimator (TPE). After a few random trials it splits the trials
# seen so far into good and bad ones, models the density of each knob's values in both groups, and proposes
# values that are likely under the good density and unlikely under the bad one. Later trials therefore
# concentrate where earlier ones did well. A median pruner watches each trial's validation loss epoch by
# epoch and stops trials that trail the median of earlier trials at the same epoch, which saves the time
# of hopeless configurations.
#
# Every trial trains on the **cached** extractor features: each image went through the frozen extractor
# once, ahead of the study, so a trial only trains the small head. The score of a trial is the
# validation triplet loss at its best epoch (early stopping keeps the weights of that epoch). The study
# is stored in a database, so an interrupted study resumes where it stopped, and several processes can
# fill one study together.

# %%
space = search_space_table(hcfg)
display(Markdown(f"Study `{hcfg.study_name}`: **{n_trials or hcfg.n_trials} trials**, objective "
                 f"`{hcfg.objective}` ({direction(hcfg)}d), pruner `{hcfg.pruner}`, extractor "
                 f"`{Path(str(hcfg.base.feature_extractor)).name}` at {hcfg.base.image_size} px, at most "
                 f"{hcfg.base.epochs} epochs per trial with early-stopping patience {hcfg.base.early_stopping_patience}."))
space

# %% [markdown]
# Fixed for every trial:

# %%
hcfg.base.table(exclude=(*hcfg.grids, "experiment_name"))

# %% [markdown]
# ### Running (or resuming) the study

# %%
t0 = time.time()
if workers > 1 and seed in (None, load_hpt_config(hpt_config_path).base.seed):   # children read the config file as it is
    study = run_parallel_study(hpt_config_path, workers, home, source, storage, n_trials, fresh=force, progress=False)
else: study = run_study(hcfg, home=home, source=source, storage=storage, n_trials=n_trials, progress=False, fresh=force)
elapsed = time.time() - t0
display(Markdown(f"The study holds **{count_trials(study)} finished trials**, each a distinct configuration "
                 f"({count_trials(study, distinct=False) - count_trials(study)} proposals repeated a finished one: they took its result, "
                 f"were not retrained and are not counted) "
                 f"(this run took {elapsed:.0f} s; trials already in storage are not rerun). Storage: "
                 f"`{storage_url(hcfg, home, storage).split('/')[-1]}`."))

# %% [markdown]
# ### Results
#
# The best trial and the training config it defines (the fixed fields plus its choices). This config is
# what the next section trains to convergence.

# %%
best = best_config(study, hcfg)
if best_config_path: best.to_yaml(best_config_path)
bt = study.best_trial
display(Markdown(f"Best trial **#{bt.number}**: {hcfg.objective} = **{bt.value:.4f}** with "
                 + ", ".join(f"`{k}` = {v}" for k, v in bt.params.items())
                 + (f". Written to `{Path(best_config_path).name}`." if best_config_path else ".")))

# %%
if hcfg.objective == "val_loss" and is_tiny_imagenet(facts):   # the original study's loss was measured on Tiny ImageNet
    display(Markdown(seed_loss_comparison(bt.value, hcfg.base.margin, Path(str(hcfg.base.feature_extractor)).name,
                                          hcfg.base.image_size)))

# %% [markdown]
# #### Which objective?
#
# The study optimises one objective. Every trial also records the other one (validation MAP@R when the
# validation loss is optimised, and the reverse) at its best epoch, so the run can say whether the choice
# of objective changes which configuration wins.

# %%
display(Markdown(objective_agreement(study)))

# %% [markdown]
# ### Visualising the study
#
# #### Optimization history
#
# Each dot is a finished trial's score; the line is the best score so far. A downward drift of the dots
# shows the sampler learning where the good region is.

# %%
paths = plot_hpt_figures(study, out_dir=figures)
observations = hpt_observations(study, max_epochs=hcfg.base.epochs, seed=hcfg.base.seed)
show_figure(paths["optimization_history"], "Score of each finished trial in order, with the best so far: look for the dots drifting down.",
            alt="Scatter of trial scores against trial number with a best-so-far step line", note=observations["optimization_history"])

# %% [markdown]
# #### Intermediate values
#
# The validation loss of every trial, epoch by epoch: where each curve flattens shows when training
# stops paying, and short curves that end above the others are pruned trials.

# %%
show_figure(paths["intermediate_plot"], "Validation loss per epoch of every trial: short curves ending high are pruned trials.",
            alt="Line plot of validation loss against epoch, one line per trial", note=observations["intermediate_plot"])

# %% [markdown]
# #### Slice plot
#
# The score against each hyperparameter on its own (colour: trial order). It shows which values tend to
# give low losses, one knob at a time.

# %%
show_figure(paths["slice_plot"], "Score against each hyperparameter on its own, coloured by trial order: low dots mark the good values.",
            alt="Three scatter panels of score against embedding dimension, block widths and dropout", note=observations["slice_plot"])

# %% [markdown]
# #### Parallel coordinates
#
# Every trial as one line through its choices to its score: the same information as the slice plot, but
# keeping each trial's combination together.

# %%
show_figure(paths["parallel_plot"],
            "Each trial as one line through its choices to its score: follow the darkest lines to the best combination.",
            alt="Parallel-coordinates plot of the hyperparameters and the score", note=observations["parallel_plot"])

# %% [markdown]
# #### Contour of embedding dimension and dropout
#
# The score interpolated over the two numeric knobs, to see whether they interact.

# %%
show_figure(paths["contour_plot"], "Interpolated score over embedding dimension and dropout: a tilted valley would mean the two interact.",
            alt="Contour map of the score over embedding dimension and dropout", note=observations["contour_plot"])

# %% [markdown]
# #### Hyperparameter importances
#
# How much of the variation in the score each knob explains across the finished trials (Optuna's fANOVA
# evaluator, seeded). With few trials this is a rough indication only.

# %%
show_figure(paths["hparam_importance"], "Share of the score's variation explained by each hyperparameter (rough with few trials).",
            alt="Horizontal bar chart of hyperparameter importances for the objective", note=observations["hparam_importance"])

# %% [markdown]
# #### Importance for the duration
#
# The same analysis with the trial's wall time as the target: which knobs make training slower (wider
# blocks mean more parameters; low dropout and good settings may also train for more epochs before
# early stopping).

# %%
show_figure(paths["duration_importance"],
            "Share of the trials' wall-time variation explained by each hyperparameter: which knobs make training slow.",
            alt="Horizontal bar chart of hyperparameter importances for the trial duration", note=observations["duration_importance"])

# %% [markdown]
# ### All trials
#
# Every trial read back from the study storage is listed in the appendix: its state (complete, pruned,
# or failed), its score, its choices, the epochs it ran and its wall time.

# %%
table = trials_table(study)
save_table(table, "hpt/trials", figures);
