"""Every sentence the hand-off shows: young people and referents read French, short and plain."""
from __future__ import annotations

CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "cli": "terminal", "rasa": "web"}

# To the young person
TAKEN = "{name}, référent·e orientation, va te répondre ici. Écris-lui directement. (« annuler » pour arrêter)"
CANCELLED = "C'est annulé : ta demande est retirée de la file. Je reste là si tu as d'autres questions."
OUTSIDE_HOURS = (
    "Les référents ne sont pas disponibles en ce moment. Ta demande reste dans la file : "
    "quelqu'un te répondra à partir de {when}."
)
NOBODY = (
    "Aucun référent n'est joignable pour l'instant, mais ta demande reste dans la file. "
    "En attendant, tu peux contacter : {contact}."
)
NOBODY_NO_CONTACT = "Aucun référent n'est joignable pour l'instant, mais ta demande reste dans la file."
TRANSFERRED = "Ta demande repasse dans la file : un autre référent va te répondre ici."
FINISHED = "{name} a terminé la conversation, je reprends. Cette aide t'a été utile ? Donne une note :"
REFERENT_SAYS = "{name} (référent·e) : {text}"
RATED = "Merci pour ta note ! Je reste là si tu as d'autres questions."
RATED_ALREADY = "Merci, ta note est déjà enregistrée."
RATING_TITLES = ("1 😞", "2 🙁", "3 😐", "4 🙂", "5 😀")

# To referents
NOTICE = "🔔 Demande n°{id} — {bassin}\n{who} ({channel}) · en attente depuis {minutes} min\n{summary}"
NOTICE_AGAIN = "🔁 Toujours sans réponse — demande n°{id} — {bassin}\n{who} ({channel}) · en attente depuis {minutes} min\n{summary}"
TAKE_BUTTON = "Prendre n°{id}"
NOTICE_TAKEN = "Demande n°{id} ({bassin}) : prise en charge par {name}."
NOTICE_YOURS = "Demande n°{id} ({bassin}) : c'est toi qui la prends."
NOTICE_CANCELLED = "Demande n°{id} ({bassin}) : annulée par le jeune."
PERSON_ERASED = (
    "{who} a demandé l'effacement de ses données (demande n°{id}) : la conversation est close "
    "et tout ce qui la concernait est supprimé. Tes messages ne lui parviendront plus."
)
CLAIMED = (
    "Tu parles maintenant avec {who} ({bassin}, {channel}), demande n°{id}.\n{summary}\n"
    "Écris tes messages ici, ils lui sont transmis signés « {name} ». "
    "/terminer [note] pour finir, /transferer pour rendre la demande à la file."
)
TOO_LATE = "Trop tard : la demande n°{id} est déjà prise en charge{by}."
NOT_WAITING = "La demande n°{id} n'est plus en attente."
UNKNOWN_TICKET = "Je ne trouve pas la demande n°{id}."
BUSY = "Tu as déjà une conversation en cours (n°{id}). /terminer ou /transferer d'abord : une conversation à la fois."
QUEUE_EMPTY = "La file est vide. 👍"
QUEUE_HEAD = "File d'attente ({count}) :"
QUEUE_LINE = "n°{id} · {bassin} · {who} · {minutes} min · {summary}"
NOTHING_TO_TAKE = "Aucune demande en attente."
NO_CONVERSATION = "Tu n'as pas de conversation en cours. /file pour voir les demandes."
FINISHED_REFERENT = "Conversation n°{id} terminée. Le bot reprend avec ce jeune et lui demande une note. Merci !"
TRANSFERRED_REFERENT = "Demande n°{id} rendue à la file : elle va être proposée aux autres référents."
WRONG_TICKET = "Ta conversation en cours est la n°{id}, pas la n°{asked}."
PERSON_SAYS = "{who} : {text}"
CLOSED_BY_STAFF = "L'équipe TerraPro a clos ta demande. Je reste là si tu as d'autres questions."
CLOSED_BY_STAFF_REFERENT = "La demande n°{id} a été fermée par un·e administrateur·rice depuis la console."
NOTICE_CLOSED = "Demande n°{id} ({bassin}) : fermée depuis la console."
# A referent's message that could not reach the young person, said plainly.
RELAY_FAILED_WINDOW = (
    "⚠️ Ton message à {who} n'est pas parti : WhatsApp n'autorise plus à lui écrire "
    "(plus de 24 h sans message de sa part). Tu pourras lui répondre dès que {who} réécrira."
)
RELAY_FAILED_UNREACHABLE = "⚠️ Ton message à {who} n'est pas parti : cette personne ne peut plus être jointe (bot bloqué ou numéro fermé)."
RELAY_FAILED = "⚠️ Ton message à {who} n'est pas parti, malgré plusieurs essais. Réessaie plus tard ou contacte la coordination."
PERSON_LEFT = "{who} a annulé la demande n°{id}. La conversation est finie."
PERSON_STOPPED = "{who} a écrit STOP : la demande n°{id} est close."
PRESENT = "C'est noté : tu es présent·e, les nouvelles demandes te seront proposées."
ABSENT = "C'est noté : tu es absent·e. Tu ne recevras que les rappels des demandes sans réponse. /present pour revenir."
ONLY_TEXT = "Seuls le texte, les vocaux et les photos sont transmis au jeune."
MEDIA_CAPTION = "{who} · demande n°{id} : {what}"
MEDIA_FROM_REFERENT = "{name} (référent·e)"
MEDIA_KEPT = "Bien reçu : je le transmettrai au référent dès qu'il prend ta demande."
BAD_NUMBER = "Indique un numéro de demande, par ex. /prendre 12."
UNKNOWN_COMMAND = "Commande inconnue. /aide pour la liste."
HELP = (
    "Commandes référent :\n"
    "/file — les demandes en attente (bouton « Prendre » sur chacune)\n"
    "/prendre [N] — prendre la demande N (sans N : la plus ancienne, ton bassin d'abord)\n"
    "/terminer [note] — finir la conversation, le bot reprend et demande une note au jeune\n"
    "/transferer — rendre ta conversation à la file\n"
    "/present, /absent — recevoir ou non les nouvelles demandes\n"
    "/diffuser — envoyer une annonce aux jeunes abonnés (administrateurs)\n"
    "/stats, /questions — les chiffres de la semaine, les questions sans réponse en CSV (administrateurs)\n"
    "Règle : une conversation à la fois. Pendant une conversation, tout ce que tu écris "
    "(sans /) est transmis au jeune, signé de ton prénom. Il ne voit jamais ton numéro, "
    "et tu ne vois jamais le sien."
)

# What the young person sent, when it is not text (media cannot cross channels as is).
MEDIA = {
    "image": "[photo]",
    "voice": "[message vocal]",
    "video": "[vidéo]",
    "document": "[document]",
    "sticker": "[autocollant]",
    "location": "[position partagée]",
    "contact": "[contact partagé, non transmis]",
    "other": "[message non textuel]",
}
