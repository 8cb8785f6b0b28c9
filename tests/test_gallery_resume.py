"""A kill never costs a gallery build more than the chunk in progress (issue #21).

A real `tinymatch embed` over 200 small JPEGs (and 2 unreadable files) is SIGKILLed after k of its 13 chunks
(k from TINYMATCH_FAULT_SEED, printed): the rerun embeds exactly the files no finished chunk holds (counted) and
writes what an uninterrupted build writes. A truncated chunk and a bit-flipped one are named in one warning line
each and only their files are embedded again. A second `embed`, then `search` and `dedup` twice, over the
unchanged folder embed nothing. The model is a tiny Keras one: what is checked is the counting, not its quality.
"""
import json
import numpy as np
import pytest
from PIL import Image
from faults_common import RNG, run, kill_when, slowed, flip_byte

N_IMAGES, N_BAD, CHUNK = 200, 2, 16
N_FILES = N_IMAGES + N_BAD
N_CHUNKS = -(-N_FILES // CHUNK)                                          # 13, the last of 10 files


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    "A folder of JPEGs and two unreadable files, a tiny saved model, and the npz of an uninterrupted build"
    import tensorflow as tf
    from tinymatch.matcher import ImageMatcher
    base = tmp_path_factory.mktemp("resume")
    folder = base / "photos"
    rng = np.random.default_rng(0)
    for i in range(N_IMAGES):
        sub = folder / f"{i // 50:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(sub / f"img{i:04d}.jpg", quality=90)
    (folder / "00" / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "02" / "empty.jpg").write_bytes(b"")
    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((32, 32, 3))
    x = tf.keras.layers.Conv2D(6, 3, strides=2, activation="relu")(tf.keras.layers.Rescaling(1 / 255.)(inp))
    x = tf.keras.layers.UnitNormalization()(tf.keras.layers.Dense(8)(tf.keras.layers.GlobalAveragePooling2D()(x)))
    model = ImageMatcher(tf.keras.Model(inp, x, name="feature_model")).save(base / "model")
    out = dict(folder=folder, model=model, base=base)
    ref = embed(out, base / "ref_home", base / "ref.npz")
    assert ref["gallery"]["embedded"] == N_IMAGES and ref["gallery"]["unreadable"] == N_BAD, ref
    out["ref"] = read_npz(base / "ref.npz")
    return out


def embed_args(setup, home, out):
    return ["embed", setup["folder"], "--out", out, "--model", setup["model"], "--home", home, "--chunk-size", CHUNK,
            "--no-progress", "--json"]


def embed(setup, home, out):
    "Run `tinymatch embed --json` to the end; its JSON"
    return json.loads(run(*embed_args(setup, home, out), check=True).stdout)


def read_npz(path):
    with np.load(path) as z: return {k: z[k] for k in z.files}


def assert_same_output(got, ref):
    "The rerun's file equals the uninterrupted build's: same paths, same vectors, same unreadable files"
    np.testing.assert_array_equal(got["paths"], ref["paths"])
    np.testing.assert_array_equal(got["embeddings"], ref["embeddings"])
    np.testing.assert_array_equal(got["skipped"], ref["skipped"])


def manifest(home):
    return json.loads(next(home.glob("galleries/*/manifest.json")).read_text())


def committed_chunks(home) -> int:
    found = list(home.glob("galleries/*/manifest.json"))
    return len(json.loads(found[0].read_text())["chunks"]) if found else 0


def test_sigkill_after_k_chunks_then_rerun_embeds_exactly_the_rest(setup, tmp_path):
    home = tmp_path / "home"
    at = RNG.randint(2, N_CHUNKS - 3)
    p = slowed("tinymatch.search:_write_chunk", 0.3, tmp_path / "mark", *embed_args(setup, home, tmp_path / "killed.npz"))
    kill_when(p, lambda: committed_chunks(home) >= at, timeout=300)
    done = committed_chunks(home)
    assert at <= done < N_CHUNKS and not (tmp_path / "killed.npz").exists()
    r = embed(setup, home, tmp_path / "killed.npz")["gallery"]
    held = CHUNK * done                                                  # files the finished chunks hold
    assert r["embedded"] + r["unreadable"] == N_FILES - held, r          # exactly the rest: nothing finished is redone
    assert r["kept"] + r["embedded"] == N_IMAGES and r["removed"] == 0 and r["damaged"] == [], r
    assert_same_output(read_npz(tmp_path / "killed.npz"), setup["ref"])
    assert len(manifest(home)["chunks"]) == N_CHUNKS
    assert len(list(home.glob("galleries/*/chunks/*"))) == N_CHUNKS     # the chunk written but not committed at the kill is gone
    print(f"\nembed killed after {done} of {N_CHUNKS} chunks: the rerun reused {r['kept']} images and embedded {r['embedded']} "
          f"(+{r['unreadable']} unreadable); its output equals the uninterrupted build's")


def test_damaged_chunks_are_named_and_recomputed_alone(setup, tmp_path):
    home = tmp_path / "home"
    embed(setup, home, tmp_path / "first.npz")
    chunks = manifest(home)["chunks"]
    truncated, flipped = (next(home.glob(f"galleries/*/chunks/{chunks[i]['file']}")) for i in (3, 7))
    with open(truncated, "r+b") as f: f.truncate(f.seek(0, 2) // 2)
    flip_byte(flipped, flipped.stat().st_size - 400)                     # inside the vectors
    r = run(*embed_args(setup, home, tmp_path / "again.npz"), check=True)
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and truncated.name in warnings[0] and flipped.name in warnings[1], r.stderr
    assert all("sha256 mismatch" in w for w in warnings), warnings
    counts = json.loads(r.stdout)["gallery"]
    assert counts["damaged"] == [truncated.name, flipped.name], counts
    lost = sum(chunks[i]["rows"] + chunks[i]["unreadable"] for i in (3, 7))
    assert counts["embedded"] + counts["unreadable"] == lost == 2 * CHUNK, counts   # those two chunks alone
    again = read_npz(tmp_path / "again.npz")
    order = np.argsort(again["paths"])                                   # recomputed rows sit in new chunks, at the end
    ref_order = np.argsort(setup["ref"]["paths"])
    np.testing.assert_array_equal(again["paths"][order], setup["ref"]["paths"][ref_order])
    np.testing.assert_array_equal(again["embeddings"][order], setup["ref"]["embeddings"][ref_order])
    assert embed(setup, home, tmp_path / "third.npz")["gallery"]["embedded"] == 0


def test_embed_twice_then_search_and_dedup_embed_nothing(setup, tmp_path):
    home = tmp_path / "home"
    first = embed(setup, home, tmp_path / "a.npz")["gallery"]
    second = embed(setup, home, tmp_path / "b.npz")["gallery"]
    assert (first["embedded"], second["embedded"], second["kept"]) == (N_IMAGES, 0, N_IMAGES), (first, second)
    assert_same_output(read_npz(tmp_path / "b.npz"), read_npz(tmp_path / "a.npz"))
    query = next(setup["folder"].glob("01/*.jpg"))
    s = json.loads(run("search", query, "--gallery", setup["folder"], "--model", setup["model"], "--home", home, "--json",
                       check=True).stdout)
    assert s["gallery"]["embedded"] == 0 and s["results"][0]["path"] == str(query), s   # the store `embed` filled
    dedups = [json.loads(run("dedup", setup["folder"], "--home", home, "--chunk-size", 64, "--json", check=True).stdout)["gallery"]
              for _ in range(2)]
    assert [d["embedded"] for d in dedups] == [N_IMAGES, 0], dedups
