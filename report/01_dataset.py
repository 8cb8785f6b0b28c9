# %% [markdown]
# ## Dataset

# %% tags=["parameters"]
home = None
source = None
figures = "figures"
config_path = None
hpt_config_path = None        # the study config: its split fields are the run's split
synthetic = {}
seed = 0
dataset_title = None          # the readable name the profile gives its data
dataset_path = None           # the run folder's dataset.json (the description, computed once)

# %%
import time
from IPython.display import Markdown, display
from tinymatch.config import ExperimentConfig, load_experiment_config, load_hpt_config
from tinymatch.core import save_table
from tinymatch.synthetic import ensure_synthetic_dataset
from tinymatch.data import prepare, build_index, load_dataset
from tinymatch.dataset_plots import (split_counts, plot_class_distribution, image_mode_stats, plot_image_modes,
                                     plot_sample_grid, plot_triplets)
from tinymatch.report import caption, index_preview
from tinymatch.report_text import (dataset_facts, data_text, index_summary_text, split_text, class_balance_text, image_modes_text,
                                   sample_grid_text)
if synthetic: ensure_synthetic_dataset(source, **synthetic)
cfg = load_experiment_config(config_path) if config_path else \
    load_hpt_config(hpt_config_path).base if hpt_config_path else ExperimentConfig("dataset", seed=seed)

# %% [markdown]
# ### The data
#
# The source (a URL, a zip or a folder) is fetched or unpacked, its layout recognised and checked, and
# every labelled picture indexed into one table row: its path, its class and, where the data has them,
# its group and the split it came in.

# %%
t0 = time.time()
root = prepare(source, home, progress=False)
index = build_index(root)
seconds = time.time() - t0
facts = dataset_facts(source, home, dataset_title, dataset_path)
display(Markdown(data_text(facts)))
display(Markdown(index_summary_text(root, index, seconds)))
index_preview(index, root)   # paths inside the dataset folder

# %% [markdown]
# ### How the data is split

# %%
display(Markdown(split_text(facts, cfg)))
df = load_dataset(cfg, source, home, progress=False)
counts = split_counts(df)
save_table(counts, "dataset/split_counts", figures)
counts

# %% [markdown]
# ### Class balance
#
# A triplet loss with in-batch mining is sensitive to class balance: a class with few images gives few
# anchor-positive pairs. The figure shows, for each split, how many images each class has (bar: median;
# whisker: from the fewest to the most).

# %%
plot_class_distribution(df, out_dir=figures);
caption("Images per class in each split: a whisker longer than its cap would be class imbalance the batches must cope with.",
        alt="Bar chart of the median number of images per class in the train, valid and test splits, with min-max whiskers and counts")

# %%
display(Markdown(class_balance_text(df, index)))

# %% [markdown]
# ### Image modes

# %%
display(Markdown(image_modes_text(facts)))
modes = image_mode_stats(index, progress=False)
save_table(modes, "dataset/image_modes", figures)
plot_image_modes(modes, out_dir=figures);
caption("Colour modes of the image files: every mode but RGB is what the conversion to RGB handles.",
        alt="Bar chart of the number of images per colour mode")
modes

# %% [markdown]
# ### A look at the images

# %%
display(Markdown(sample_grid_text(facts)))
plot_sample_grid(df[df["split"] == "train"], n_classes=8, per_class=6, seed=seed, out_dir=figures);
caption("Six train images of each of eight random classes (one class per row): note how much images of one class differ.",
        alt="Grid of small photographs, one class per row, labelled with class names")

# %% [markdown]
# ### Triplets
#
# Training works on triplets: an *anchor* image, a *positive* of the same class and a *negative* of another
# class. The loss pulls the anchor towards the positive and pushes it away from the negative until the
# negative is farther by a margin. The triplets are not drawn in advance: each training batch holds several
# images of each of its classes, and the loss picks, for each anchor-positive pair, a negative inside the
# batch that is farther than the positive but still within the margin (a *semi-hard* negative). Below are a few
# valid triplets from the train split.

# %%
plot_triplets(df[df["split"] == "train"], n=4, seed=seed, out_dir=figures);
caption("Four triplets from the train split: anchor and positive share a class, the negative is from another class.",
        alt="Four rows of three images labelled anchor, positive and negative")
