# %% tags=["parameters"]
profile = "smoke"
home = None
source = None
synthetic = {}
dataset_title = None          # the readable name the profile gives its data
dataset_path = None           # the run folder's dataset.json (the description, computed once)

# %%
from IPython.display import Markdown, display
from tinymatch.report import get_profile
from tinymatch.report_text import dataset_facts, report_title, introduction_text
from tinymatch.synthetic import ensure_synthetic_dataset
if synthetic: ensure_synthetic_dataset(source, **synthetic)
facts = dataset_facts(source, home, dataset_title, dataset_path)
run_profile = get_profile(profile)
display(Markdown(f"# {report_title(facts)}\n\nA reproducible study of a learned image-matching model: every figure, table "
                 "and number below was produced by the run that rendered this page (its manifest is at the end).\n\n"
                 f"**Profile:** `{run_profile.name}`: {run_profile.description}."))

# %% [markdown]
# ## Introduction
#
# ### What the study is for
#
# *Image matching* asks whether two pictures show the same kind of thing. It is the building block
# of image retrieval (find the pictures most like this one), of recognition by comparison with known
# examples, and of duplicate detection.

# %%
display(Markdown(introduction_text(facts)))

# %% [markdown]
# Matching can rest on hand-made local features compared one by one, on compact hashes compared bit by
# bit, or on vectors compared by distance. We take the last route with a learned representation:
# a network maps each image to a point on the unit sphere so that pictures of one class land close
# together and pictures of different classes land far apart. Two images then match when their points
# are closer than a threshold.
#
# The learning recipe is the one FaceNet (Schroff, Kalenichenko and Philbin, 2015) introduced for
# faces: a triplet loss with online semi-hard negative mining on L2-normalised embeddings. The study
# tests whether that recipe, designed for faces, carries over to other kinds of pictures.
#
# ### What the report contains
#
# 1. **Dataset**: the data, its split and a look at its images.
# 2. **Model architecture** and **training procedure**: the Siamese matcher, the triplet loss, the
#    frozen feature extractor and the trainable head.
# 3. **Hyperparameter tuning**: an Optuna study over the head's shape and regularisation.
# 4. **Training results** for the best configuration.
# 5. **End-to-end results**: the matcher evaluated on every pair of the held-back test images, with
#    retrieval metrics, few-shot accuracy, a comparison with the untrained extractor, and a view of the
#    embedding space.
# 6. **Conclusion**, the measured **performance** of the pipeline, the **run manifest** and an
#    **appendix** with every HPT trial.
#
# ### Reproducing it
#
# `make report PROFILE=<profile>` reruns everything from the dataset archive; `make test` runs the test
# suites. The report notebooks live in `report/` as plain percent scripts and call the `tinymatch`
# package, whose source and tests are the notebooks in `nbs/`.
