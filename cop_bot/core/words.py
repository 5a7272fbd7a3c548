"""Words as the matcher compares them, in the seven languages of the taxonomy.

Members type `réfugiées`, `Flüchtlingsunterkünfte`, `سكن` or `μεταναστών`; the lexicon says
`réfugié`, `Unterkunft`, `السكن`, `μετανάστης`. To compare them, each word is folded (case,
accents and diacritics, Arabic letter variants and article, Greek final sigma) and stemmed with
the Snowball stemmer of its language (PyStemmer, compiled). A typed word's language is unknown,
so it is stemmed with every stemmer its script allows and compared by any of those keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import Stemmer

LANGUAGES = ("en", "fr", "es", "it", "de", "ar", "el")
_SNOWBALL = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "de": "german",
    "ar": "arabic",
    "el": "greek",
}
LATIN = ("en", "fr", "es", "it", "de")
_SHORTEST_STEM = {"en": 3, "ar": 3}
"""A shorter stem joins too much (French stems "rome" and "roms" alike); English keeps "job" and
"aid", Arabic its three-letter roots."""
_STEMMERS = {lang: Stemmer.Stemmer(name) for lang, name in _SNOWBALL.items()}

_ARABIC = re.compile("[\u0600-\u06ff]")
_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_NON_WORD = re.compile(r"[\W_]+")
_UMLAUT_SPELLED = re.compile(r"(?<=[a-z])(ae|oe|ue)(?=[a-z])")
"""German umlauts typed without them (`ue` for `ü`), folded like the umlaut itself (`u`)."""
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ـ": None})  # fmt: skip
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل")
"""The article, alone or after a conjunction or preposition (`والسكن`, `للاجئين`, `السكن`), and
a conjunction or preposition alone (`وسكن`)."""

NEGATIONS = frozenset({"non", "not", "no", "sans", "senza", "sin", "ohne", "غير", "μη", "μην", "χωρις"})  # fmt: skip
"""Words that turn the next one into its opposite: never dropped as stopwords (`غير نظامية`,
`non régulière`), so `irregular migration` and `regular migration` stay apart."""
NEGATING_PREFIXES = ("ir", "il", "im", "in", "un", "non", "dis", "a", "an", "παρα", "α")
"""What makes a word its opposite by a prefix (regular / irregular, νόμιμη / παράνομη): a typo
correction never crosses one."""

_STOPWORDS_BY_LANGUAGE = {
    "en": "a an and are as at be by can do does for from get getting got have how i in into is it "
    "its me my of on or our so that the their them there they this to up us was we what when "
    "where which who why will with you your about any some need want looking find please "
    "anyone someone know like would could should has had am been were being just also very here "
    "there im today tonight tomorrow yesterday week weekend end time",  # not "help": generic, but it is a word
    "fr": "a au aux avec ce ces cette comment dans de des du en est et il ils je la le les leur "
    "leurs ma mes mon nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes "
    "ai as avons avez ont suis es sommes etes sont etait ete ici aussi tres ca cela ceci "
    "aujourd hui demain hier soir semaine week end "
    "un une vos votre vous y d l j s c n m qu quel quelle quels quelles chez cherche besoin",
    "es": "a al como con de del el en es esta este esto la las lo los mi mis nuestra nuestro "
    "para pero por que se su sus un una unos unas y o e u cómo donde dónde qué quien busco "
    "he has ha hemos han soy eres somos son era fue tus nuestros nuestras muy también aquí ya "
    "hoy mañana ayer semana noche "
    "necesito hay",
    "it": "a ad al alla alle agli ai come con da dal dalla dei del della delle di e ed gli i il "
    "in la le lo mi mia mio nel nella nelle per su sul sulla tra fra un una uno o che chi cosa "
    "ha hanno ho hai abbiamo avete è sono sei siamo era mie miei tuo tua tuoi tue suo sua suoi sue "
    "nostro nostra nostri loro ci si ne anche molto questo questa questi quello quella qui ora già "
    "oggi domani ieri settimana sera stasera "
    "dove cerco serve c l",
    "de": "am an auf aus bei das dem den der des die ein eine einem einen einer eines für im in "
    "ist mit nach oder so über um und vom von vor wie wo zu zum zur ich wir sie es mein meine "
    "hat habe haben hast bin bist sind war waren wird werden kann können muss mich mir dich dir "
    "uns euch ihr ihre ihren seine dein deine auch sehr noch schon hier dort man heute morgen "
    "gestern abend wochenende "
    "unser unsere suche sucht suchen gesucht brauche gibt",
    "ar": "في من على الى إلى عن مع او أو و ثم هل كيف ما ماذا هذا هذه ذلك التي الذي لل عند "
    "لدى بين كل أي اي انا أنا نحن لي لك لنا هو هي هم أنت كان كانت يكون هنا هناك جدا أيضا اليوم "
    "غدا امس الليلة",
    "el": "ο η το οι τα του της των τον την στο στη στην στον στα στους στις σε για με και ή "
    "από απο ως που πως πώς τι ένα ενα μια μία ενός μιας θα να είναι ειναι έχω έχει έχουμε "
    "έχουν είμαι είσαι είμαστε μου σου μας σας τους αυτό αυτή αυτός εδώ εκεί πολύ σήμερα αύριο "
    "χθες απόψε",
}

_CHATTER_BY_LANGUAGE = {
    "en": "hello hi hey dear morning thanks thank cheers happy birthday congrats congratulations "
    "everyone everybody whole vacation vacations holidays photos photo pics coffee lunch "
    "pizza printer password wifi parking keys monday tuesday wednesday thursday friday "
    "saturday sunday late floor party room template drive folder car lost again "
    "bank card app phone mobile football soccer match game recipe website email barbecue guitar "
    "yoga",
    "fr": "bonjour salut coucou bonsoir merci joyeux anniversaire félicitations tous toute toutes "
    "journée vacances photos café déjeuner pizza imprimante mot passe wifi parking clés clefs "
    "lundi mardi mercredi jeudi vendredi samedi dimanche retard étage fête pot salle modèle "
    "voiture perdu "
    "banque bancaire carte appli application téléphone portable foot football match jeu recette "
    "site mail barbecue guitare yoga",
    "es": "hola buenos buenas días gracias feliz cumpleaños felicidades todos todas toda vacaciones "
    "fotos café almuerzo comida pizza impresora contraseña wifi aparcamiento llaves lunes "
    "martes miércoles jueves viernes sábado domingo planta fiesta sala "
    "carpeta coche perdido "
    "banco tarjeta aplicación app móvil teléfono fútbol partido juego receta web correo barbacoa "
    "guitarra yoga",
    "it": "ciao buongiorno buonasera grazie buon compleanno auguri tutti tutte tutta giornata "
    "collega colleghi colleghe "
    "vacanze foto caffè pranzo pizza stampante password wifi parcheggio chiavi lunedì martedì "
    "mercoledì giovedì venerdì sabato domenica tardi festa sala cartella "
    "macchina perso "
    "banca carta app applicazione telefono cellulare calcio partita gioco ricetta sito email "
    "barbecue chitarra yoga",
    "de": "hallo servus moin danke alles glückwunsch geburtstag liebe liebes lieber ganzen urlaub "
    "urlaubsfotos fotos kaffee mittagessen pizza drucker passwort wlan parkplatz schlüssel "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag später feier "
    "weihnachtsfeier raum vorlage ordner auto verloren "
    "bank karte bankkarte app handy telefon fußball fussball fußballspiel spiel rezept webseite "
    "email grillen gitarre yoga",
    "ar": "مرحبا أهلا اهلا صباح مساء الخير شكرا عيد ميلاد سعيد مبروك الجميع كل العطلة صور القهوة "
    "الغداء بيتزا الطابعة كلمة المرور الواي فاي موقف مفاتيحي الاثنين الثلاثاء الأربعاء الخميس "
    "الجمعة السبت الأحد سأتأخر الطابق حفلة القاعة قالب المجلد السيارة أضعت "
    "البنك بنك بطاقة بطاقتي التطبيق تطبيق هاتفي الهاتف هاتف مباراة لعبة وصفة الموقع "
    "الاجتماع اجتماع اجتماعنا الحاسوب الكمبيوتر التحديث",
    "el": "γεια καλημέρα καλησπέρα ευχαριστώ χρόνια πολλά συγχαρητήρια όλους όλη όλοι διακοπές "
    "φωτογραφίες καφέ μεσημεριανό πίτσα εκτυπωτής κωδικό wifi πάρκινγκ κλειδιά δευτέρα "
    "τετάρτη πέμπτη παρασκευή σάββατο κυριακή αργήσω όροφο πάρτι αίθουσα πρότυπο φάκελο "
    "αυτοκίνητο έχασα "
    "τράπεζα κάρτα εφαρμογή κινητό τηλέφωνο ποδόσφαιρο ποδοσφαίρου αγώνα αγώνας παιχνίδι συνταγή "
    "ιστοσελίδα email κιθάρα γιόγκα συνάντηση συνάντησης υπολογιστής ενημέρωση",
}
"""Greetings, wishes and office chatter (the coffee, the printer, the holiday photos, the bank card,
the phone app, the football match): words that
never say which domain a question is about. They are not stopwords (a query of chatter is not
one of its other words alone): where one is typed, a single word must tell its domain apart to
be a match (`core.matcher.UNSURE_AMID`)."""


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Case, accents and diacritics folded, Arabic letter variants unified, words split on
    anything that is not a letter or digit: `Réfugiées` -> `refugiees`, `الأُسرة` -> `الاسره`."""
    text = text.casefold().translate(_ARABIC_LETTERS)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text).split())


def _folded_words(text: str) -> set[str]:
    return set(fold(text).split())


CHATTER = frozenset(w for words in _CHATTER_BY_LANGUAGE.values() for w in _folded_words(words))
_NEWS_BY_LANGUAGE = {
    "en": "late postponed rescheduled cancelled canceled",
    "fr": "décalé décalée reporté reportée annulé annulée",
    "es": "llegaré aplazado aplazada cancelado cancelada",
    "it": "tardi spostato spostata rinviato rinviata annullato annullata",
    "de": "später verschoben abgesagt ausgefallen",
    "ar": "سأتأخر متأخر تأجل تأجلت تأجيل ألغي ألغيت",
    "el": "αργήσω αργώ αναβλήθηκε ακυρώθηκε",
}
NEWS = frozenset(w for words in _NEWS_BY_LANGUAGE.values() for w in _folded_words(words))
"""A change of plan (postponed, cancelled, I'll be late): a message that tells, not one that
asks, so whatever domain its other words name is a suggestion (`core.matcher.UNSURE_AMID`).
Not *moved*, *changed* or *retard*: "we moved, which school?" and "retard scolaire" ask."""
CHATTER |= NEWS
_RELATIVES_BY_LANGUAGE = {
    "en": "wife husband son daughter brother sister",
    "fr": "femme mari fils fille frère sœur soeur",
    "es": "esposa mujer marido esposo hijo hija hermano hermana",
    "it": "moglie marito figlio figlia fratello sorella",
    "de": "frau mann sohn tochter bruder schwester",
    "ar": "زوجتي زوجي ابني ابنتي أخي أختي",
    "el": "γυναίκα σύζυγος άντρας γιος κόρη αδερφός αδερφή",
}
RELATIVES = frozenset(w for t in _RELATIVES_BY_LANGUAGE.values() for w in _folded_words(t))
_GOT_BY_LANGUAGE = {
    "en": "got found started landed",
    "fr": "trouvé commencé décroché",
    "es": "encontrado encontró empezado empezó conseguido consiguió",
    "it": "trovato iniziato cominciato",
    "de": "gefunden angefangen bekommen",
    "ar": "حصلت حصل وجدت وجد بدأ بدأت",
    "el": "βρήκε ξεκίνησε έπιασε",
}
GOT = frozenset(w for t in _GOT_BY_LANGUAGE.values() for w in _folded_words(t))
_NEW_BY_LANGUAGE = {
    "en": "new",
    "fr": "nouveau nouvel nouvelle",
    "es": "nuevo nueva",
    "it": "nuovo nuova",
    "de": "neu neue neuen neuer neues",
    "ar": "جديد جديدة",
    "el": "καινούργια καινούργιο καινούργιος νέα νέο νέος",
}
NEW = frozenset(w for t in _NEW_BY_LANGUAGE.values() for w in _folded_words(t))
"""Family news ("my wife got a new job", "meine Frau hat einen neuen Job gefunden"): a
relative, a past verb of finding or starting and something new, with no question mark, tell;
they do not ask (`core.matcher.UNSURE_AMID`). "my husband got a deportation order" asks."""


def _everyday() -> frozenset[str]:
    folder = resources.files("cop_bot.core").joinpath("everyday")
    found: set[str] = set()
    for language in LANGUAGES:
        lines = folder.joinpath(f"{language}.txt").read_text(encoding="utf-8").splitlines()
        found.update(line for line in lines if line and not line.startswith("#"))
    return frozenset(found) - NEGATIONS


EVERYDAY = _everyday()
"""The commonest words of the 7 languages (220-290 each, from wordfreq's frequency lists:
`scripts/everyday_words`). The lexicon's own weights cannot see them: *temps* or *fait* is in
one domain's phrase only ("temps de prière"), so it looks as telling as a rare term. Typed alone,
such a word is part of an entry, not its evidence (`core.matcher`)."""


_PINGS_BY_LANGUAGE = {
    "en": "test | testing | just testing | test test | this is a test | just a test | test message "
    "| testing the bot | bot test | test bot | is this working | is it working | does this work "
    "| does it work | is the bot working | are you there | are you working | anybody there",
    "fr": "test | essai | juste un test | ceci est un test | c est un test | message test "
    "| test du bot | ça marche | ca marche | est ce que ça marche | ça fonctionne "
    "| est ce que ça fonctionne | tu es là | il y a quelqu un",
    "es": "prueba | probando | solo probando | esto es una prueba | mensaje de prueba "
    "| prueba del bot | funciona | esto funciona | funciona esto | estás ahí | hay alguien",
    "it": "prova | prova prova | test | solo una prova | questo è un test | questa è una prova "
    "| messaggio di prova | funziona | funziona questo | ci sei | c è qualcuno",
    "de": "test | testen | nur ein test | das ist ein test | testnachricht | probe "
    "| funktioniert das | funktioniert es | geht das | bist du da | ist da jemand",
    "ar": "اختبار | تجربة | مجرد اختبار | هذا اختبار | رسالة تجريبية | هل يعمل | هل هذا يعمل "
    "| هل البوت يعمل | هل أنت هنا | هل يوجد أحد",
    "el": "τεστ | δοκιμή | απλώς δοκιμή | αυτό είναι τεστ | αυτό είναι δοκιμή | δοκιμαστικό μήνυμα "
    "| λειτουργεί | δουλεύει | λειτουργεί αυτό | δουλεύει αυτό | είσαι εκεί | είναι κανείς εκεί",
}
PINGS = frozenset(
    fold(phrase) for text in _PINGS_BY_LANGUAGE.values() for phrase in text.split("|")
)
"""Whole messages that check the bot answers ("testing 123", "is this working?"): a member
trying the bot, not a query, whatever *testing* (discrimination testing) or *work* name."""


def is_ping(text: str) -> bool:
    """Whether `text`, numbers and punctuation aside, is only a check that the bot answers."""
    return " ".join(x for x in fold(text).split() if not x.isdigit()) in PINGS


STOPWORDS = frozenset(
    w
    for words in _STOPWORDS_BY_LANGUAGE.values()
    for w in _folded_words(words)
    if w not in NEGATIONS
)


def umlauts(word: str) -> str:
    """`ue`, `oe`, `ae` typed for German umlauts, folded as the umlaut is (`gelduberweisung`)."""
    return _UMLAUT_SPELLED.sub(lambda m: m.group(0)[0], word)


def script_languages(word: str) -> tuple[str, ...]:
    """The languages a word in this script may be written in."""
    if _ARABIC.search(word):
        return ("ar",)
    if _GREEK.search(word):
        return ("el",)
    return LATIN


def arabic_forms(word: str) -> frozenset[str]:
    """A folded Arabic word without what may be joined to its front: the article, a
    conjunction or a preposition (`والسكن`, `بالسكن`, `للاجيين`). Which letters are a prefix and
    which the root's is not written (`وظيفه` begins with its root's و), so every reading is kept,
    and the other side of a comparison has made the same ones."""
    forms = {word}
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= (3 if len(prefix) > 1 else 4):
            forms.add(word[len(prefix) :])
    return frozenset(forms)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """`word` (already folded) as the Snowball stemmer of `language` reduces it."""
    return _STEMMERS[language].stemWord(word) if language in _STEMMERS else word


@lru_cache(maxsize=200_000)
def keys(word: str, language: str | None = None) -> frozenset[str]:
    """What a folded word is compared by: itself, and its stem in `language` (`fr:refugi`), or
        in every language its script allows when the language is unknown (what a member typed). A
        stem only meets a stem of its own language: Spanish *partido* (`es:part`) is not Italian
        *partita* (`it:part`). Stems shorter than four letters (three in Arabic, whose roots have
    three) are too ambiguous and left out."""
    languages = (language,) if language else script_languages(word)
    found = {word} if len(word) >= 2 else set()
    if language is None and languages == LATIN and _UMLAUT_SPELLED.search(word):
        folded = umlauts(word)  # Geldueberweisung
        found |= {folded, f"de:{stem(folded, 'de')}"}
    if languages == ("ar",):
        for form in arabic_forms(word):
            found.add(form)
            if len(stemmed := stem(form, "ar")) >= 3:
                found.add(f"ar:{stemmed}")
        return frozenset(found)
    for lang in languages:
        stemmed = stem(word, lang)
        if len(stemmed) >= _SHORTEST_STEM.get(lang, 4):
            found.add(f"{lang}:{stemmed}")
    return frozenset(found)


def content(text: str) -> list[str]:
    """The folded words of `text` that carry meaning (no stopwords), in order."""
    return [w for w in fold(text).split() if w not in STOPWORDS]


def negated_pair(a: str, b: str) -> bool:
    """Whether one word is the other with a negating prefix (`irregular`, `regular`)."""
    short, long = sorted((a, b), key=len)
    if not long.endswith(short):
        return False
    return long[: len(long) - len(short)] in NEGATING_PREFIXES


def split_compound(word: str, known: Iterable[str] | set[str], *, smallest: int = 4) -> list[str]:
    """A German compound as the known words it is made of, head last, or `[]`:
    `fluchtlingsunterkunfte` -> `[fluchtlings, unterkunfte]` when both are known (a linking
    `s`/`es`/`n`/`en` is allowed between parts). `known` holds folded words and their stems."""
    vocabulary = known if isinstance(known, set) else set(known)
    return _split(word, frozenset(), vocabulary, smallest) or []


def _split(word: str, _seen: frozenset[str], known: set[str], smallest: int) -> list[str] | None:
    for cut in range(smallest, len(word) - smallest + 1):
        head = word[cut:]
        if not _known(head, known):
            continue
        left = word[:cut]
        for link in ("", "s", "es", "n", "en"):
            if link and not left.endswith(link):
                continue
            body = left[: len(left) - len(link)] if link else left
            if len(body) < smallest:
                continue
            if _known(body, known):
                return [body, head]
            deeper = _split(body, _seen, known, smallest)
            if deeper:
                return [*deeper, head]
    return None


def _known(part: str, known: set[str]) -> bool:
    return part in known or f"de:{stem(part, 'de')}" in known


@lru_cache(maxsize=300_000)
def search_form(word: str) -> str:
    """One form per folded word for full-text search, the same whatever its language: the
    shortest of its stems that keeps four letters (`refugiees`, `refugie` -> `refugi`;
    `housing`, `houses` -> `hous`), else the word. Unlike `keys`, a single form, so an index of
    100k practices stays one posting per word."""
    candidates = [stem(word, lang) for lang in script_languages(word)]
    if script_languages(word) == ("ar",):
        candidates = [stem(form, "ar") for form in arabic_forms(word)]
    kept = [c for c in candidates if len(c) >= 4 or (len(c) >= 3 and _ARABIC.search(c))]
    return min(kept, key=lambda c: (len(c), c)) if kept else word
