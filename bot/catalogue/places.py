"""Geography helpers: great-circle distance and the nearest known commune."""
from __future__ import annotations

import math
from collections.abc import Iterable

from bot.catalogue.model import Place

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_place(places: Iterable[Place], latitude: float, longitude: float) -> Place:
    """The known commune closest to a shared GPS position; ValueError when there is none or the position is invalid."""
    if not (isinstance(latitude, (int, float)) and isinstance(longitude, (int, float))):
        raise ValueError("position invalide")
    if math.isnan(latitude) or math.isnan(longitude) or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("position invalide")
    best = min(places, key=lambda p: haversine_km(latitude, longitude, p.latitude, p.longitude), default=None)
    if best is None:
        raise ValueError("aucune commune connue")
    return best
