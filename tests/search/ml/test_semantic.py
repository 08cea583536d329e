import numpy as np
import pytest
import skimage.data
from PIL import Image

from search.ml.classes import class_names
from search.ml.semantic import (
    Projection,
    ProjectionArrays,
    class_vector,
    class_word_matrix,
    evaluate_split,
    imagenet_class_matrix,
    split_indices,
    tag_retrieval_score,
    tag_targets,
    train_projection,
)
from search.ml.words import get_word_space


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    return get_word_space(cache_dir=tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def class_matrix(space):
    return imagenet_class_matrix(space)


def test_every_imagenet_class_gets_a_word_vector(class_matrix):
    assert class_matrix.shape[0] == 1000
    np.testing.assert_allclose(np.linalg.norm(class_matrix, axis=1), 1.0, atol=1e-5)


def test_class_name_unknown_to_glove_falls_back_to_its_category(space, class_matrix):
    kuvasz = class_matrix[class_names().index("Kuvasz")]
    assert space.nearest_words(kuvasz, 1)[0][0] == "dog"


def test_class_without_known_words_or_fallback_is_a_zero_row(space):
    matrix = class_word_matrix(space, ["tabby cat", "Qxxzq"])
    assert np.linalg.norm(matrix[0]) == pytest.approx(1.0)
    assert not matrix[1].any()


def test_class_vector_leans_towards_the_head_noun(space):
    persian_cat = class_vector(space, "Persian cat")
    assert persian_cat @ space.vector("cat") > persian_cat @ space.vector("persian")


def test_class_vector_head_skips_glosses_and_alternatives(space):
    kite = class_vector(space, "kite (bird of prey)")
    assert kite @ space.vector("kite") > space.phrase_vector("kite (bird of prey)") @ space.vector("kite")
    tabby = class_vector(space, "a cat having a striped coat")
    assert tabby @ space.vector("cat") > tabby @ space.vector("coat")


def test_tag_retrieval_score_is_one_for_vectors_equal_to_their_tags(space):
    tag_sets = [{"cat"}, {"car"}, {"boat"}, {"cat"}]
    vectors = np.stack([space.vector(next(iter(t))) for t in tag_sets])
    assert tag_retrieval_score(vectors, tag_sets, space) == pytest.approx(1.0)


def test_tag_retrieval_score_is_mean_average_precision_over_tags(space):
    tag_sets = [{"cat"}, {"car"}, {"cat"}]
    vectors = np.stack([space.vector("kitten"), space.vector("cat") + space.vector("car"), space.vector("dog")])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Query "cat" ranks photos 2, 1, 0: cat photos at ranks 1 and 3. Query "car" ranks photo 1 first.
    assert list(np.argsort(-(vectors @ space.vector("cat")))) == [2, 1, 0]
    assert np.argmax(vectors @ space.vector("car")) == 1
    average_precision_cat = (1 / 1 + 2 / 3) / 2
    assert tag_retrieval_score(vectors, tag_sets, space) == pytest.approx((average_precision_cat + 1.0) / 2)


def test_tag_retrieval_score_ignores_unknown_tags(space):
    tag_sets = [{"cat", "xqzzqx"}, {"car"}]
    vectors = np.stack([space.vector("cat"), space.vector("car")])
    assert tag_retrieval_score(vectors, tag_sets, space) == pytest.approx(1.0)


def test_split_is_deterministic_and_disjoint():
    train, test = split_indices(50, test_fraction=0.3, seed=3)
    again_train, again_test = split_indices(50, test_fraction=0.3, seed=3)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)
    assert len(test) == 15 and not set(train) & set(test) and len(train) + len(test) == 50


def test_tag_targets_skip_photos_without_known_tags(space):
    targets, rows = tag_targets([{"cat"}, {"qqxzq"}, {"sea", "boat"}], space)
    np.testing.assert_array_equal(rows, [0, 2])
    assert targets[0] @ space.vector("cat") == pytest.approx(1.0)
    assert targets[1] @ space.vector("sea") == pytest.approx(targets[1] @ space.vector("boat"))


# A tiny labelled set of real photos: random crops/flips of skimage images, tagged by what they show.
PHOTOS = {
    "chelsea": {"cat"},
    "coffee": {"coffee", "cup"},
    "rocket": {"rocket", "launch"},
    "astronaut": {"astronaut", "space"},
}


def augmented_views(image: np.ndarray, count: int, rng: np.random.Generator) -> list[Image.Image]:
    height, width = image.shape[:2]
    views = []
    for _ in range(count):
        scale = rng.uniform(0.55, 0.9)
        h, w = int(height * scale), int(width * scale)
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        view = image[top : top + h, left : left + w]
        views.append(Image.fromarray(view[:, ::-1] if rng.random() < 0.5 else view))
    return views


@pytest.fixture(scope="module")
def tagged_photos(tmp_path_factory):
    from search.ml.encoder import get_encoder

    rng = np.random.default_rng(0)
    images, tag_sets = [], []
    for name, tags in PHOTOS.items():
        views = augmented_views(getattr(skimage.data, name)(), 10, rng)
        images += views
        tag_sets += [tags] * len(views)
    features, logits = get_encoder("lite0", cache_dir=tmp_path_factory.mktemp("model")).encode(images)
    return features, logits, tag_sets


def test_trained_projection_beats_chance_on_held_out_photos(space, class_matrix, tagged_photos):
    features, logits, tag_sets = tagged_photos
    scores = evaluate_split(features, logits, tag_sets, word_space=space, class_matrix=class_matrix, seed=0)
    chance = 1 / len(PHOTOS)
    assert scores.n_test == 12 and scores.n_train == 28
    assert scores.trained > chance + 0.4
    assert scores.zeroshot > chance


def test_projection_outputs_unit_vectors_near_their_targets(space, tagged_photos):
    features, _, tag_sets = tagged_photos
    targets, rows = tag_targets(tag_sets, space)
    projected = train_projection(features[rows], targets, epochs=30, seed=1).project(features[rows])
    np.testing.assert_allclose(np.linalg.norm(projected, axis=1), 1.0, atol=1e-5)
    assert np.mean(np.sum(projected * targets, axis=1)) > 0.5


def test_projection_survives_save_and_load(tmp_path, tagged_photos, space):
    features, _, tag_sets = tagged_photos
    targets, _rows = tag_targets(tag_sets, space)
    projection = train_projection(features[:12], targets[:12], epochs=3, seed=0)
    path = tmp_path / "user" / "projection.keras"
    projection.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["projection.keras"]
    np.testing.assert_allclose(Projection.load(path).project(features), projection.project(features), atol=1e-5)


def test_exported_arrays_project_as_the_keras_model_does(tagged_photos, space):
    """Ensure the numpy form web processes apply is the trained model's function (batch norm folded in)."""
    features, _, tag_sets = tagged_photos
    targets, rows = tag_targets(tag_sets, space)
    projection = train_projection(features[rows], targets, epochs=3, seed=0)
    arrays = projection.export()
    assert arrays.activations == ("relu", "linear")
    np.testing.assert_allclose(arrays.project(features), projection.project(features), atol=1e-5)


def test_projection_arrays_survive_save_and_load(tmp_path, tagged_photos, space):
    features, _, tag_sets = tagged_photos
    targets, _rows = tag_targets(tag_sets, space)
    arrays = train_projection(features[:12], targets[:12], epochs=3, seed=0).export()
    path = tmp_path / "user" / "projection.npz"
    arrays.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["projection.npz"]
    np.testing.assert_array_equal(ProjectionArrays.load(path).project(features), arrays.project(features))
