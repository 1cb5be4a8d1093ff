"""Training catalogue: model, validated loading/import, events and fuzzy search."""
from bot.catalogue.csvfile import ContentProblems
from bot.catalogue.importer import ImportReport, import_catalogue, import_events
from bot.catalogue.loader import load_catalogue, load_events, upcoming_events
from bot.catalogue.model import Catalogue, Course, Event, Filiere, Place
from bot.catalogue.places import haversine_km, nearest_place
from bot.catalogue.search import CatalogueSearch, QueryAnalysis, SearchResult

__all__ = [
    "Catalogue", "CatalogueSearch", "ContentProblems", "Course", "Event", "Filiere", "ImportReport", "Place",
    "QueryAnalysis", "SearchResult", "haversine_km", "import_catalogue", "import_events", "load_catalogue",
    "load_events", "nearest_place", "upcoming_events",
]
