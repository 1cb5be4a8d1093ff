"""Slot names shared by the actions and the embedded dialogue (and the Rasa domain)."""

FILIERE = "filiere"
LIEU = "lieu"
TERRITOIRE = "territoire"
BASSIN = "bassin"
LAST_RESULTS = "last_results"  # course ids of the last search, best first
RESULTS_SHOWN = "results_shown"  # how many of them were shown already
SHOWN_COURSE = "shown_course"  # the course "c'est combien ?" is about
PENDING = "pending"  # what the bot just asked: confirm_delete, offer_referent, orientation
MISSES = "misses"  # misunderstandings in a row
LANGUAGE = "language"
RESUME = "resume"  # the request waiting for the territory answer: {"intent": …, "entities": {…}}, never text
PROFILE = "profile"  # what the person said about themself: age, niveau, fauteuil, pour

ALL = (
    FILIERE, LIEU, TERRITOIRE, BASSIN, LAST_RESULTS, RESULTS_SHOWN, SHOWN_COURSE, PENDING, MISSES, LANGUAGE,
    RESUME, PROFILE,
)
