"""Cue inventories by lemma: verbs of speech, opinion, belief and expectation, and cue nouns.

Compiled from the usual linguistic inventories rather than from single sentences: Levin's verb
classes of communication (say, tell, complain, advise, manner of speaking), of conjecture and
declaration (believe, suspect, declare), verbs of perception used for evidence (show, find),
and the German verba dicendi et sentiendi (sagen, meinen, glauben, fordern, …). Each set was
checked against attribution corpora: a verb that names a wrong source there far more often
than a right one (vote, maintain, intend, direct, back, lobby, debate, …) is left out.
"""

from __future__ import annotations


def lemmas(text: str) -> frozenset[str]:
    return frozenset(text.split())


def endings(text: str) -> tuple[str, ...]:
    """Word endings for str.endswith, longest first so that listing order never matters."""
    return tuple(sorted(text.split(), key=len, reverse=True))


# --- English -----------------------------------------------------------------------------------

EN_SPEECH = lemmas(
    """say tell state claim report confirm deny add warn announce estimate argue insist note
 write acknowledge admit accuse allege explain ask answer reply respond retort call tweet
 post declare suggest describe recall conclude cite urge promise pledge vow predict propose
 reveal question indicate remark comment mention observe contend assert stress emphasize
 emphasise tout boast complain lament concede agree disagree criticize criticise praise
 blame attack blast slam decry condemn denounce defend dismiss reject decline refuse demand
 recommend caution testify quip joke speculate threaten hint imply charge counter dispute
 disclose divulge inform notify assure reassure forecast challenge wonder thank apologize
 apologise swear recount reiterate repeat point echo mock ridicule label brand dub
 characterize characterise portray deride lash rebuke scold chide contradict insinuate
 proclaim pronounce concur object protest plead beg encourage press push instruct order
 signal talk speak discuss brief preach lecture bemoan knock highlight rail lambast
 hammer trumpet applaud hail congratulate welcome urge implore vouch pitch""".replace("\n", " ")
)
EN_BELIEF = lemmas(
    """think believe feel hope fear worry expect doubt know suspect assume guess presume
 suppose reckon figure consider regard view see understand realize realise recognize
 recognise learn discover anticipate trust imagine envision envisage foresee ponder
 acknowledge""".replace("\n", " ")
)
EN_STANCE = lemmas("want wish prefer plan seek support endorse oppose favor favour resist")
# Reports, polls and studies "show" or "find": a source that is no person.
EN_EVIDENCE = lemmas("show find indicate suggest reveal conclude estimate")
EN_CUE_VERBS = EN_SPEECH | EN_BELIEF | EN_STANCE | EN_EVIDENCE
# Cues only when a quotation, a colon or "that" follows: "he continued: …", "the sign read".
EN_FRAMING = lemmas("continue read go put")
# Verbs whose subject stands after them in an inverted attribution: “…,” said X.
EN_INVERTING = lemmas(
    "say add write ask tell explain note continue recall reply respond argue insist warn "
    "declare conclude observe remark counter quip joke"
)
# Words that may stand between a subject and its verb: "X has also long said".
EN_AUXILIARIES = lemmas(
    "has have had is are was were be been will would could can may might must shall should "
    "do does did 's 've 'd not n't never also again later then now first often repeatedly "
    "previously recently once already still even just only further long further"
)

# Lemmas that are nouns as well ("states", "support", "a vote"): their bare and -s forms are a
# verb only after a subject that can speak or show: a pronoun, a name, or an agent noun.
EN_NOUN_LIKE = lemmas(
    "state support back vote plan attack comment question view remark charge figure term post "
    "bet trust command estimate report point show answer push press challenge counter demand "
    "protest lobby echo fear hope doubt project call claim promise pledge vow order signal label "
    "brand tweet praise blame favor favour welcome dispute joke quip forecast guess release "
    "find mention note"
)
EN_AGENT_NOUNS = lemmas(
    "voters people officials critics supporters advocates experts analysts aides members "
    "lawmakers leaders residents respondents economists observers polls poll surveys survey "
    "study studies data report reports analysis research results numbers records documents "
    "figures estimates democrats republicans conservatives liberals activists candidates "
    "delegates sources spokesman spokeswoman spokesperson campaign government administration "
    "committee court judge police prosecutors investigators scientists researchers"
)
# A headline "X: …" names a speaker when X ends with one of these, or a quotation follows.
EN_SPEAKER_NOUNS = lemmas(
    "camp campaign spokesman spokeswoman spokesperson aide aides official officials source "
    "sources adviser advisers advisor"
)
# Past participles after a form of "be" make a passive: "X is expected to win" is no source.
EN_BE = lemmas("is are was were be been being am")

# --- German ------------------------------------------------------------------------------------

DE_SPEECH = lemmas(
    """sagen erklären betonen melden berichten bestätigen bestreiten informieren schätzen
 vermuten warnen behaupten kritisieren dementieren verkünden bekräftigen unterstreichen
 äußern fordern versichern mitteilen einräumen vorwerfen zugeben bekanntgeben ankündigen
 zurückweisen sprechen reden ansprechen hinweisen verweisen vorschlagen erzählen verlangen
 beantragen anmahnen mahnen ermahnen suggerieren feststellen darlegen ausführen
 beklagen bemängeln beanstanden monieren loben begrüßen ablehnen zustimmen antworten
 entgegnen erwidern fragen nachfragen versprechen zusagen empfehlen raten appellieren
 beschreiben bezeichnen nennen zitieren schreiben twittern argumentieren
 begründen erläutern klarstellen unterstellen andeuten bekennen gestehen leugnen verneinen
 beteuern anprangern anklagen beschuldigen bezichtigen rügen tadeln preisen würdigen
 danken vorrechnen vorhalten vortragen einwenden einwerfen widersprechen
 zurufen verlautbaren veröffentlichen prognostizieren vorhersagen befürworten plädieren
 werben verteidigen beschließen entscheiden vorlegen einbringen ankündigen thematisieren
 """.replace("\n", " ")
)
DE_BELIEF = lemmas(
    """glauben denken meinen wissen erwarten befürchten fürchten hoffen erhoffen
 bezweifeln ausgehen einschätzen beurteilen erkennen wünschen vermuten
 ahnen bedauern überlegen verstehen""".replace("\n", " ")
)
DE_CUE_VERBS = DE_SPEECH | DE_BELIEF
# Participles whose "von X" agent judges: "wird von Experten als … wahrgenommen".
DE_PASSIVE_JUDGEMENTS = lemmas(
    "wahrnehmen ansehen betrachten einstufen werten hören erfahren lesen verbreiten"
)
# Verbs whose "von X" is their topic, not an agent: "es wird von Waffen gesprochen".
DE_TOPIC_VON = lemmas("sprechen reden erzählen berichten hören träumen wissen")
# Separable particles that close a clause: "teilte … mit" is the lemma "mitteilen".
DE_PARTICLES = lemmas(
    "ab an auf aus bei dar ein fest fort her hin los mit nach vor weg zu zurück zusammen "
    "bekannt klar kund vorher hervor heraus hinaus entgegen statt"
)
# Lemmas that are cues only with a particle (stellt … fest, weist … hin).
DE_ONLY_WITH_PARTICLE = lemmas("stellen legen führen weisen geben gehen kündigen werfen räumen")
# Light verbs that make a cue with a noun of speech: "Kritik üben", "eine Frage stellen",
# "die Auffassung vertreten", "Forderungen erheben", "zur Kenntnis nehmen".
DE_LIGHT_VERBS = lemmas("üben stellen vertreten erheben beantworten nehmen ziehen")
DE_LIGHT_VERB_NOUNS = lemmas(
    "kritik frage zwischenfrage fragen auffassung ansicht meinung position standpunkt "
    "forderung forderungen vorwurf vorwürfe kenntnis schluss schlüsse bitte antrag anträge "
    "bedenken zweifel"
)
# "X ist überzeugt, dass …" / "X ist der Meinung, dass …".
DE_CONVICTION = lemmas("überzeugt")
DE_OPINION_GENITIVES = lemmas("meinung ansicht auffassung überzeugung")
# Nouns of speech, opinion and documents whose genitive or "von" phrase names their author:
# "der Antrag der AfD", "die Worte von X", "Obamas Rede".
DE_CUE_NOUNS = lemmas(
    """antrag gesetzentwurf anfrage aussage äußerung rede worte worten forderung
 vorschlag kritik stellungnahme erklärung einschätzung ansicht auffassung meinung position
 haltung begründung entscheidung beschluss erkenntnis bericht gutachten studie urteil
 warnung appell vorwurf behauptung zwischenfrage antwort empfehlung prognose schätzung
 mitteilung darstellung aufforderung vorstoß initiative zusage versprechen
 plan konzept""".replace("\n", " ")
)
