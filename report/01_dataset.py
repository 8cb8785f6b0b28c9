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

# %%
import time
from IPython.display import Markdown, display
from tinymatch.config import ExperimentConfig, load_experiment_config, load_hpt_config
from tinymatch.core import save_table
from tinymatch.synthetic import ensure_synthetic_dataset
from tinymatch.data import prepare, build_index, load_dataset
from tinymatch.dataset_plots import (split_counts, plot_class_distribution, image_mode_stats, plot_image_modes,
                                     plot_sample_grid, plot_triplets)
from tinymatch.report import caption, index_summary_text, index_preview, class_balance_text
if synthetic: ensure_synthetic_dataset(source, **synthetic)
cfg = load_experiment_config(config_path) if config_path else \
    load_hpt_config(hpt_config_path).base if hpt_config_path else ExperimentConfig("dataset", seed=seed)

# %% [markdown]
# ### The data
#
# Tiny ImageNet is a reduced ImageNet made for the Stanford CS231n visual recognition challenge: 200 classes
# (WordNet ids such as `n01443537`, goldfish), each with 500 labelled training pictures and 50 labelled
# validation pictures, all scaled down to 64 x 64 pixels. Its official test split has no public labels and
# plays no part here. Small pictures of 200 varied object kinds make it a fair test of whether a matcher
# trained with a triplet loss generalises beyond faces, while keeping runs affordable on a CPU.
#
# The archive is fetched (or taken from a local zip or folder), checked for a complete layout, and
# indexed into one table row per labelled image:

# %%
t0 = time.time()
root = prepare(source, home, progress=False)
index = build_index(root)
display(Markdown(index_summary_text(root, index, time.time() - t0)))
index_preview(index, root)   # paths inside the dataset folder

# %% [markdown]
# ### How the data is split
#
# The official validation images form our **test** set. They are kept away from everything that shapes the
# model: training, early stopping and the hyperparameter search all look at the other two splits only, so
# the test scores are not tuned to the test images, even indirectly.
#
# The official training images are divided, class by class, into a **train** split and a **valid** split
# (`validation_fraction` of each class). Dividing within each class keeps the class balance of the
# original data in both parts; a fixed seed makes the division repeatable, so every trial of the search
# and the final training see the same images. The validation split drives early stopping and the search's
# objective.
#
# Before that, two disjoint seeded sets of classes are held out (the open-set protocol of the method
# section): the **unseen test** classes, whose official-val images form `unseen_test` and whose training
# images are not used, and the **unseen validation** classes, whose official-train images form
# `unseen_valid`. The table counts images and classes per split.

# %%
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
#
# Most files are colour JPEGs, but some are single-channel (grayscale). The extractors expect three
# channels, so every image is converted to RGB when it is loaded (the channel is repeated): a grayscale
# picture then looks to the model like a colour picture without colour. The counts come from the file
# headers.

# %%
modes = image_mode_stats(index, progress=False)
save_table(modes, "dataset/image_modes", figures)
plot_image_modes(modes, out_dir=figures);
caption("Colour modes of the image files: the grayscale share is what the RGB conversion handles.",
        alt="Bar chart of the number of images per colour mode")
modes

# %% [markdown]
# ### A look at the images
#
# A few images of randomly chosen classes from the train split, with their class names. At 64 x 64 pixels the
# objects are often small, cropped or set against busy backgrounds, and images of one class vary widely in
# viewpoint, scale and colour: the matcher has to see through these differences.

# %%
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
