"""The offline reverse geocoder on known coordinates, and the names a query may use for a place."""

import pytest

from search.ml import places


def place(latitude: float, longitude: float) -> places.Place | None:
    return places.geocoder().place(latitude=latitude, longitude=longitude)


@pytest.mark.parametrize(
    ("where", "latitude", "longitude", "shown", "region"),
    [
        ("Leuven's Grote Markt", 50.8798, 4.7005, "Leuven, Belgium", "Flanders"),
        ("Piazza Navona: nearest point is Vatican City", 41.8986, 12.4768, "Rome, Italy", "Lazio"),
        ("La Rambla: nearest point is a district", 41.3809, 2.1734, "Barcelona, Spain", "Catalonia"),
        ("Shibuya crossing", 35.6595, 139.7005, "Tokyo, Japan", "Tokyo"),
        ("downtown Houston", 29.7604, -95.3698, "Houston, United States", "Texas"),
        ("Versailles: a town of its own 17 km from Paris", 48.8049, 2.1204, "Versailles, France", "Île-de-France"),
        ("Sydney Opera House", -33.8568, 151.2153, "Sydney, Australia", "New South Wales"),
        ("Amsterdam", 52.37, 4.89, "Amsterdam, Netherlands", "North Holland"),
    ],
)
def test_a_position_gets_the_city_a_person_would_name(where, latitude, longitude, shown, region):
    found = place(latitude, longitude)
    assert (found.shown, found.region) == (shown, region), where


def test_the_county_is_kept_when_geonames_has_one():
    assert place(50.8798, 4.7005).county == "Provincie Vlaams-Brabant"


def test_mid_ocean_is_no_place():
    assert place(0.0, -30.0) is None


def test_across_the_antimeridian_distances_are_true():
    """Ensure a point east of 180° finds the town 40 km away west of it (Egvekinot, Chukotka, at 179.1° W)."""
    found = place(66.32, 179.95)
    assert found is not None and found.city == "Egvekinot"


def test_a_registry_style_country_name_is_shown_plainly():
    assert place(37.5665, 126.9780).country == "South Korea"


def test_normalize_drops_accents_case_hyphens_and_apostrophes():
    assert places.normalize("São Paulo") == "sao paulo"
    assert places.normalize("Vlaams-Brabant") == "vlaams brabant"
    assert places.normalize("Côte d'Ivoire") == "cote d ivoire"
    assert places.normalize("Kraków") == "krakow" and places.normalize("Łódź") == "lodz"


def test_names_include_aliases_accent_free_spellings_and_plain_divisions():
    leuven = places.names(place(50.8798, 4.7005))
    assert leuven["leuven"] == {"city"} and leuven["belgium"] == {"country"}
    assert leuven["vlaams brabant"] == {"county"}  # "Provincie" dropped
    new_york = places.names(place(40.7128, -74.0060))
    assert new_york["new york"] == {"city", "region"} and new_york["usa"] == {"country"}
    assert places.names(place(51.5072, -0.1276))["uk"] == {"country"}
    assert places.names(place(52.37, 4.89))["holland"] == {"country"}
    assert "sao paulo" in places.names(place(-23.55, -46.63))
