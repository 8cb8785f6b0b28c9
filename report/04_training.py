# %% [markdown]
# ## Training the best configuration

# %% tags=["parameters"]
profile = "smoke"
home = None
source = None
figures = "figures"
config_path = None            # experiment YAML to train (default: best_config_path, written by the HPT section)
best_config_path = None
final_training = {}           # overrides for the final run, e.g. {epochs: 100, early_stopping_patience: 5, seeds: [0, 1, 2]}
synthetic = {}
force = False                 # retrain even if the model folder already holds this run
train_processes = 1           # runs trained at once, each in its own process (the cpu profile: 4 on 2 cores)
comparison_loss = None        # also train the headline run with this loss, as a comparison (e.g. "multi_similarity")

# %%
from pathlib import Path
import pandas as pd
from IPython.display import Markdown, display
from tinymatch.config import load_experiment_config
from tinymatch.core import save_table
from tinymatch.synthetic import ensure_synthetic_dataset
from tinymatch.model import load_feature_model
from tinymatch.train import (train, train_in_processes, final_configs, loss_comparison_config, seed_runs_table, plot_learning_curve,
                             model_summary_text)
from tinymatch.report import caption, training_summary_text
if synthetic: ensure_synthetic_dataset(source, **synthetic)
cfg_file = config_path or best_config_path
seed_configs = final_configs(load_experiment_config(cfg_file), final_training)
cfg = seed_configs[0]                 # the headline model: the first seed
display(Markdown(f"Experiment `{cfg.experiment_name}` from `{Path(cfg_file).name}`: embedding dimension "
                 f"**{cfg.embedding_dim}**, blocks **{cfg.intermediate_ff_block_units}**, dropout **{cfg.dropout}**, "
                 f"up to {cfg.epochs} epochs with early-stopping patience {cfg.early_stopping_patience}."))

# %% [markdown]
# ### Procedure
#
# The head is trained with Adam (learning rate as configured), which keeps a running mean of each
# weight's gradient (momentum) and of its square, and scales every weight's step by them: steps are
# steady where gradients are consistent and cautious where they are noisy, with little tuning.
#
# Each batch holds a few images of each of many classes, so that every anchor has positives and the
# semi-hard miner finds negatives inside the batch. After every epoch the loss on the validation split
# is measured; when it has not improved for `early_stopping_patience` epochs training stops and the
# weights of the best epoch are restored. Early stopping both guards against overfitting the training
# images and bounds the cost of a run.
#
# Training runs on the cached extractor features, so an epoch costs a pass of the small head only. A
# checkpoint after every epoch (weights, optimizer and random state, early-stopping state, history)
# means a killed run resumes where it stopped; TensorBoard logs are written beside it. A model folder that
# already holds this exact run is reused as it is; a changed configuration is retrained from scratch.

# %%
comparison = [loss_comparison_config(cfg, comparison_loss)] if comparison_loss else []
if train_processes > 1:   # every run at once, each in a child process; the headline model is the first seed's
    dirs = train_in_processes(seed_configs + comparison, home, source, processes=train_processes, force=force, retrain_if_changed=True)
    seed_dirs = {c.seed: d for c, d in zip(seed_configs, dirs)}
    model_dir, comparison_dir = seed_dirs[cfg.seed], (dirs[-1] if comparison else None)
else: model_dir = train(cfg, home=home, source=source, force=force, retrain_if_changed=True)
display(Markdown(training_summary_text(model_dir)))

# %% [markdown]
# ### Other seeds
#
# The same configuration is trained again with other seeds (initial weights, batch order and dropout;
# the split and the held-out classes stay the same), so the evaluation can show how much its numbers
# move from seed to seed. The headline model above is the first seed's; each other seed has its own model
# folder, `<experiment>-seed<s>`, reused when it already holds the finished run.

# %%
if train_processes <= 1:
    seed_dirs = {cfg.seed: model_dir, **{c.seed: train(c, home=home, source=source, force=force, retrain_if_changed=True)
                                         for c in seed_configs[1:]}}
    comparison_dir = train(comparison[0], home=home, source=source, force=force, retrain_if_changed=True) if comparison else None
runs = seed_runs_table(seed_dirs)
save_table(runs, "training/seed_runs", figures)
runs

# %%
if comparison:
    display(Markdown(f"As a comparison (not the headline), the seed-{cfg.seed} run was also trained with the **{comparison_loss}** loss, "
                     f"everything else equal, in `{comparison[0].experiment_name}`; the evaluation section scores it."))
    display(seed_runs_table({cfg.seed: comparison_dir}))
    caption("The comparison run: the headline configuration and seed trained with the other loss.")

# %% [markdown]
# ### Learning curve
#
# Training and validation loss per epoch; the dashed line marks the epoch whose weights were kept.

# %%
fig = plot_learning_curve(model_dir, out_dir=figures)
caption("Training and validation loss per epoch; the dashed line is the epoch whose weights were kept: "
        "look for the gap between the curves.",
        alt="Two loss curves against epoch with a dashed vertical line at the best epoch")

# %%
history = pd.read_csv(model_dir / "history.csv")
save_table(history, "training/history", figures)
history.round(4).tail(10)

# %% [markdown]
# ### The trained FeatureModel
#
# The saved model maps a float RGB image (0-255) straight to its L2-normalised embedding: the frozen
# extractor (its weights are counted as non-trainable) followed by the trained head.

# %%
feature_model = load_feature_model(model_dir)
print(model_summary_text(feature_model, expand_nested=False))

# %% [markdown]
# ### TensorBoard
#
# The run's scalars, its hyperparameters and the test embeddings for the projector (evaluation section) are
# in TensorBoard format. The report run keeps a copy with its records; from a clone of the repository, browse
# them with:

# %%
display(Markdown(f"```bash\ntensorboard --logdir report/artifacts/{profile}\n```"))
