"""Words that say *that* someone wants a training, not *which* one: they never drive a match.

Already normalised (lowercase, no accents), as bot.nlu.text.tokens() produces them.
"""
from __future__ import annotations

FRENCH = frozenset(
    """
    a ai aie as au aux avec avoir ce ca c cela ces cet cette chez comme comment combien dans de des du
    donc elle en est et etre eux faire fais fait faut il ils je j la le les leur lui ma mais me mes moi
    mon ne ni nous on ou par pas peu peux peut plus pour pourquoi quand que quel quelle quelles quels qui
    quoi sa se ses si son sont sur ta te tes toi ton tu un une vers vos votre vous y l d s n m t qu
    suis es sommes etes veux veut voudrais voudrait aimerais aimerait souhaite cherche chercher trouver
    trouve savoir sais connaitre envie devenir faire apprendre apprends appris etudier etudes faire
    formation formations former forme centre centres cfp ecole ecoles endroit lieu lieux ville region
    quartier ici pres proche proches loin autour cote where info infos information informations
    renseignement renseignements inscription inscrire inscris cout couts prix tarif tarifs frais payer
    paye gratuit duree dure longtemps niveau metier metiers boulot truc chose choses
    bonjour bonsoir salut coucho hello merci stp svp sil plait ok oui non ouais wesh
    il y a est ce que c est qu est existe existent dispo disponible possible moyen
    propose proposez proposent offre offres donner donne donnez dire dis dites montre montrer liste
    tout tous toute toutes autre autres meme aussi bien tres trop encore deja
    jeune jeunes fille garcon ans age mois an annee
    cours cursus stage apprentissage apprenti diplomante qualifiante professionnelle professionnel pro
    """.split()
)

# Wolof glue words (shared/reference/wolof-glossary.csv), in the spellings a phone produces.
WOLOF = frozenset(
    """
    jang jangue diang djang njang njangue fan fane dama damay bugg begg beugue begue bug beug naa na laa
    la mena mena men mane mun ci si ak ab nit ndax am amul wut wuut naata nyaata xaalis kan kanye sama
    yi bi ba nanga def salamaleekum salam jerejef jerejeff waaw deedeet wax dimbali ma mu ko
    ekool lekool
    """.split()
)

STOP_WORDS = FRENCH | WOLOF
