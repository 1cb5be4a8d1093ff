"""French or Wolof? Word-list scoring on normalised tokens (accents optional).

A French sentence with one Wolof trade word stays French; a Wolof sentence with
a French trade word ("dama bëgg jàng mekanik") is Wolof.
"""
from __future__ import annotations

from pathlib import Path

from bot.nlu.text import tokens

# Common Wolof words, normalised (no accents, ñ -> n, ë -> e).
WOLOF_WORDS = frozenset(
    """
    dama damay dafa dafay dañu danu dinaa dina dinga naa nga ngay ngeen nanu lanu lanu laa
    yi bi ba gi gu ci ca ak ndax nanga def naka nekk nekkul mangi maangi ngi mungi
    waaw waw deedeet dedet deedet naan jerejef jere jef dieuredieuf jaajef jaajefe salamaleekum
    salamalekoum salamalekum malekum maleekum beneen yoon suba ngoon kanam jamm
    jang njang jangale liggeey ligeey liggey wut begg bugg beggul begguma mena men mun
    fan kan kanam kana naata lan lu ban bu yow man moom nun yeen sama sa sunu seen
    xaalis fay wax ak nit nitt dimbali dimbalil ndimbal sos ubbi amul am dara
    diir jar kurant naw nawkat togg toggkat tabax tabaxkat bant mbay baykat samm sammkat napp nappkat jen
    oto lett ekool xam xamuma tann wara moo mooy def defar tey demb ellek dem dikk
    bayil bayyi bul yonnee yonneel yeggal xibaar far dindil joxal jox doy lool rekk waay
    mbaa walla te itam kay baax baaxna tur weer at
    """.split()
)
# Short words that are French as often as Wolof: a weak hint only.
_WEAK = frozenset({"la", "ma", "sa", "di", "na", "ci", "bi", "am", "ba", "man", "fan", "bu", "kan", "te", "at", "jen", "lu", "ca"})

FRENCH_WORDS = frozenset(
    """
    je j tu il elle on nous vous ils elles me te se le les un une des du de au aux et ou est sont
    suis es etre ai as avoir a pour par sur dans avec sans chez qui que quoi quel quelle quels
    quelles comment combien quand pourquoi veux veut voudrais peux peut faut faire fait sais
    pas plus ne ni mon ma mes ton ta tes son ses ce cette ces ca cela c y en bonjour salut merci
    oui non apprendre formation formations cherche travail metier centre stp svp aide moi toi
    """.split()
)


def load_glossary_words(glossary_csv: Path) -> set[str]:
    """Extra Wolof words from the glossary's first column (a CSV with a 'wolof' header)."""
    import csv

    words: set[str] = set()
    with open(glossary_csv, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words.update(tokens(row.get("wolof") or ""))
    return words


class LanguageDetector:
    def __init__(self, extra_wolof: set[str] | frozenset[str] = frozenset()) -> None:
        self._wolof = WOLOF_WORDS | frozenset(extra_wolof)

    def detect(self, words: list[str]) -> str | None:
        """'wo' or 'fr' for normalised tokens; None when the words tell neither (« ok »,
        « mecanique », « fan la ? »): the conversation then keeps the language it had, so a
        Wolof speaker's short follow-up or button press is not answered in French."""
        wolof = french = 0.0
        for word in words:
            if word in self._wolof:
                wolof += 0.3 if word in _WEAK else 1.0
            elif word in FRENCH_WORDS:
                french += 1.0
        if wolof >= 1.0 and wolof >= french * 0.75:
            return "wo"
        if french > 0:
            return "fr"
        return None
