"""Colour names and black-and-white, on synthetic swatches and real photos."""

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from bench.words import load_image
from search.ml import colours
from tests import images


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((200, 30, 30), "red"),
        ((255, 140, 0), "orange"),
        ((255, 230, 0), "yellow"),
        ((0, 150, 0), "green"),
        ((0, 80, 200), "blue"),
        ((120, 40, 150), "purple"),
        ((255, 150, 180), "pink"),
        ((120, 70, 30), "brown"),
        ((5, 5, 5), "black"),
        ((252, 252, 252), "white"),
        ((128, 128, 128), "grey"),
    ],
)
def test_a_swatch_is_named_its_colour(rgb, name):
    assert colours.colours(images.solid(rgb)).main[0] == name


def test_a_swatch_between_two_names_counts_partly_as_each():
    shares = colours.colours(images.solid((240, 100, 40))).shares  # between orange and red
    assert set(list(shares)[:2]) == {"orange", "red"}


def test_the_subject_outweighs_the_background():
    """Ensure a red square filling a quarter of a grey frame makes red the main colour."""
    frame = Image.new("RGB", (80, 80), (128, 128, 128))
    frame.paste((200, 30, 30), (20, 20, 60, 60))
    found = colours.colours(frame)
    assert found.main[0] == "red" and found.shares["red"] > 0.5


def test_colourful_swatches_are_not_monochrome_and_grey_ones_are():
    assert not colours.colours(images.solid((200, 30, 30))).monochrome
    assert colours.colours(images.solid((90, 90, 90))).monochrome


def test_a_greyscale_photo_is_black_and_white_and_named_only_in_greys():
    found = colours.colours(images.sample("camera"))
    assert found.monochrome and set(found.shares) <= {"black", "white", "grey"}


def test_a_black_and_white_copy_of_a_colour_photo_is_monochrome():
    assert colours.colours(images.sample("coffee").convert("L").convert("RGB")).monochrome
    assert not colours.colours(images.sample("coffee")).monochrome


@pytest.mark.parametrize("name", ["opencv:left01.jpg", "opencv:sudoku.png"])
def test_a_greyscale_photo_and_a_print_on_tinted_paper_are_black_and_white(name):
    assert colours.colours(load_image(name)).monochrome  # Debian's opencv-doc


@pytest.mark.parametrize("name", ["skimage:hubble_deep_field", "opencv:aero3.jpg"])
def test_few_colourful_pixels_on_black_and_a_dull_colour_photo_are_not_black_and_white(name):
    """Galaxies on a black sky (few, vivid), and an aerial photo's faded greens and roofs (many, pale)."""
    assert not colours.colours(load_image(name)).monochrome


def test_the_red_motorcycle_is_red():
    found = colours.colours(Image.fromarray(samples.stereo_motorcycle()[0]))
    assert found.shares["red"] >= 0.25 and not found.monochrome


def test_the_rocket_sky_is_blue_and_the_cat_brown():
    assert colours.colours(images.sample("rocket")).main[0] == "blue"
    assert colours.colours(images.sample("chelsea")).main[0] == "brown"


def test_the_green_board_and_the_starry_night_blue():
    assert colours.colours(load_image("opencv:board.jpg")).main[0] == "green"  # Debian's opencv-doc
    assert colours.colours(load_image("opencv:starry_night.jpg")).main[0] == "blue"


def test_shares_are_sorted_and_at_least_the_kept_minimum():
    shares = list(colours.colours(images.sample("astronaut")).shares.values())
    assert shares == sorted(shares, reverse=True) and min(shares) >= colours.KEEP_SHARE


def test_srgb_to_lab_matches_the_reference_white_and_a_known_red():
    white = colours.srgb_to_lab(np.array([1.0, 1.0, 1.0]))
    assert np.allclose(white, [100, 0, 0], atol=0.05)
    red = colours.srgb_to_lab(np.array([1.0, 0.0, 0.0]))
    assert np.allclose(red, [53.24, 80.09, 67.20], atol=0.1)  # sRGB red in CIELAB (D65)


@pytest.mark.parametrize("size", [(1, 1), (5000, 3), (3, 5000)])
def test_degenerate_sizes_still_get_their_colour(size):
    assert colours.colours(Image.new("RGB", size, (0, 80, 200))).main == ["blue"]
