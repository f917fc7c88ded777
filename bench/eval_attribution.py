"""Measure the attributor on corpora written by others: statement-level precision, recall, F1.

    python bench/eval_attribution.py --polnear ../shared/corpora/polnear/data \
        --spkatt ../shared/corpora/spkatt/data/train/task1

The corpora are read by path and never copied; only the splits named on the command line are
read (PolNeAR: train and dev by default).

Scoring, per statement:
- A statement is *attributed* when an annotated attribution has its cue and its source inside
  it (PolNeAR: inside the statement's character span, any annotator; SpkAtt: in the sentence).
- A suggestion is *right* when its mention overlaps the source of such an attribution.
- precision = right suggestions / suggestions; recall = right suggestions / attributed
  statements. A suggestion on an unattributed statement, or one naming another phrase, is wrong.
- SpkAtt counts non-pronoun sources only: a sentence whose attributions inside it all have
  pronoun sources ("ich", "wir", "die", "man") is left out of the scoring altogether.
- PolNeAR texts are split with the project's own segmentation; SpkAtt sentences are taken as
  given (tokens joined with ordinary spacing).
- SpkAtt's train speeches are split in two halves by a hash of the file name: *tuning* (rules
  are tuned on it) and *check* (a guard against overfitting).

Speed: the attributor's statements per second over every statement read, against SoMaJo's
sentence splitting of the same text (a reference measured in the same run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.ingestion.segmentation import segment_document  # noqa: E402
from annotator.registry.attribution import cue_lemma, suggest_document  # noqa: E402
from annotator.registry.attribution.lemmas import Lemmatiser, use_lemmatiser  # noqa: E402

Span = tuple[int, int]


@dataclass
class Attribution:
    cue: Span
    source: Span | None
    cue_text: str
    pronoun: bool = False


@dataclass
class Statement:
    text: str
    paragraph: int
    start: int  # offset of the statement in its document, for span arithmetic
    attributions: list[Attribution] = field(default_factory=list)


@dataclass
class Document:
    name: str
    language: str
    statements: list[Statement]
    text: str = ""


# --- PolNeAR ------------------------------------------------------------------------------------

_BRAT_TEXT = re.compile(r"^(T\d+)\t(\w+) ([\d ;]+)\t(.*)$")
_BRAT_EVENT = re.compile(r"^(E\d+)\t(.*)$")


def read_brat(path: Path) -> list[tuple[Span, Span | None, str]]:
    """(cue span, source span, cue text) of every attribution in one annotator's file."""
    spans: dict[str, tuple[Span, str]] = {}
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _BRAT_TEXT.match(line):
            offsets = [int(n) for n in re.split(r"[ ;]", match.group(3))]
            spans[match.group(1)] = ((min(offsets), max(offsets)), match.group(4))
        elif match := _BRAT_EVENT.match(line):
            roles = dict(part.split(":", 1) for part in match.group(2).split())
            events.append(roles)
    attributions = []
    for roles in events:
        if "Cue" not in roles or roles["Cue"] not in spans:
            continue
        cue, cue_text = spans[roles["Cue"]]
        source = spans[roles["Source"]][0] if roles.get("Source") in spans else None
        attributions.append((cue, source, cue_text))
    return attributions


def read_polnear(split_dir: Path) -> list[Document]:
    documents = []
    for text_path in sorted((split_dir / "text").glob("*.txt")):
        text = text_path.read_text(encoding="utf-8")
        attributions = []
        for ann in sorted((split_dir / "attributions").glob(f"{text_path.stem}_*.ann")):
            attributions += read_brat(ann)
        statements = []
        for sentence in segment_document(text, "en"):
            statement = Statement(sentence.text, sentence.paragraph, sentence.start)
            for cue, source, cue_text in attributions:
                if source and _inside(cue, sentence) and _inside(source, sentence):
                    statement.attributions.append(Attribution(cue, source, cue_text))
            statements.append(statement)
        documents.append(Document(text_path.stem, "en", statements, text))
    return documents


def _inside(span: Span, sentence) -> bool:
    return sentence.start <= span[0] and span[1] <= sentence.end


# --- SpkAtt ------------------------------------------------------------------------------------

_NO_SPACE_BEFORE = set(".,;:!?)]}“”»«%…") | {"'s", "n't"}
_NO_SPACE_AFTER = set("([{„»")
# Personal, possessive, reflexive, relative/demonstrative and indefinite pronouns.
_GERMAN_PRONOUNS = frozenset(
    """ich mich mir wir uns du dich dir ihr euch er ihn ihm sie ihnen es man sich
    mein meine meiner meines meinem meinen unser unsere unserer unseres unserem unseren
    dein deine deiner deines deinem deinen euer eure eurer eures eurem euren
    sein seine seiner seines seinem seinen ihre ihrer ihres ihrem ihren
    der die das dem den dessen deren denen welche welcher welches welchem welchen
    dies diese dieser dieses diesem diesen jener jene jenes wer was jemand niemand jeder jede
    jedes keiner keine keines einige andere anderen manche alle beide viele einer eine selbst
    selber""".replace("\n", " ").split(" ")
)


def detokenise(tokens: list[str]) -> tuple[str, list[Span]]:
    """The sentence as text, and each token's span in it."""
    text, spans, quote_open = "", [], False
    for token in tokens:
        glue = not text or token in _NO_SPACE_BEFORE or text[-1] in _NO_SPACE_AFTER
        if token == '"':
            glue = not text or quote_open
            quote_open = not quote_open
        elif text.endswith('"') and quote_open:
            glue = True
        if not glue:
            text += " "
        spans.append((len(text), len(text) + len(token)))
        text += token
    return text, spans


def read_spkatt(folder: Path) -> list[Document]:
    documents = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        statements, token_spans = [], {}
        for sentence in data["Sentences"]:
            text, spans = detokenise(sentence["Tokens"])
            token_spans[sentence["SentenceId"]] = (spans, sentence["Tokens"])
            # Each speech is one paragraph: its sentences follow each other in one speaker's turn.
            statements.append(Statement(text, 0, 0))
        for annotation in data["Annotations"]:
            attribution = _spkatt_attribution(annotation, token_spans)
            if attribution is not None:
                sentence_id, attr = attribution
                statements[sentence_id].attributions.append(attr)
        documents.append(Document(path.stem, "de", statements))
    return documents


def _spkatt_attribution(annotation: dict, token_spans: dict) -> tuple[int, Attribution] | None:
    cue_ids = [tuple(map(int, t.split(":"))) for t in annotation["Cue"]]
    source_ids = [tuple(map(int, t.split(":"))) for t in annotation["Source"]]
    if not cue_ids or not source_ids:
        return None
    sentences = {s for s, _ in cue_ids + source_ids}
    if len(sentences) != 1:
        return None  # cue or source outside the sentence: the sentence is not attributed
    (sentence_id,) = sentences
    spans, tokens = token_spans[sentence_id]

    def span_of(ids):
        return min(spans[t][0] for _, t in ids), max(spans[t][1] for _, t in ids)

    words = [tokens[t].casefold() for _, t in source_ids]
    cue_text = " ".join(tokens[t] for _, t in sorted(cue_ids))
    pronoun = all(word in _GERMAN_PRONOUNS for word in words)
    return sentence_id, Attribution(span_of(cue_ids), span_of(source_ids), cue_text, pronoun)


def spkatt_half(document: Document) -> str:
    digest = hashlib.sha256(document.name.encode()).digest()
    return "tuning" if digest[0] % 2 == 0 else "check"


# --- scoring -----------------------------------------------------------------------------------


@dataclass
class Score:
    suggested: int = 0
    right: int = 0
    attributed: int = 0
    missed: Counter = field(default_factory=Counter)  # cue lemma -> attributed statements missed
    wrong: Counter = field(default_factory=Counter)  # our cue lemma -> wrong suggestions

    @property
    def precision(self) -> float:
        return self.right / self.suggested if self.suggested else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.attributed if self.attributed else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(documents: Iterable[Document], skip_pronoun_sources: bool) -> tuple[Score, int]:
    result, count = Score(), 0
    for document in documents:
        statements = document.statements
        suggestions = suggest_document(
            [(s.text, s.paragraph) for s in statements], document.language
        )
        for statement, suggestion in zip(statements, suggestions, strict=True):
            count += 1
            _score_statement(result, statement, suggestion, document.language, skip_pronoun_sources)
    return result, count


def _score_statement(result, statement, suggestion, language, skip_pronoun_sources) -> None:
    gold = statement.attributions
    if skip_pronoun_sources:
        if gold and all(a.pronoun for a in gold):
            return  # attributed, but to pronouns only: not scored
        gold = [a for a in gold if not a.pronoun]
    if gold:
        result.attributed += 1
    right = False
    if suggestion is not None:
        result.suggested += 1
        mention = (
            statement.start + suggestion.mention_start,
            statement.start + suggestion.mention_end,
        )
        right = any(_overlap(mention, a.source) for a in gold)
        if right:
            result.right += 1
        else:
            result.wrong[cue_lemma(suggestion.cue, language)] += 1
    if gold and not right:
        result.missed[cue_lemma(gold[0].cue_text, language)] += 1


def _overlap(a: Span, b: Span | None) -> bool:
    return b is not None and a[0] < b[1] and b[0] < a[1]


# --- speed -------------------------------------------------------------------------------------


def statements_per_second(documents: list[Document]) -> tuple[float, float]:
    """(attributor, SoMaJo reference) in statements per second over the same statements.

    The lemma caches start empty, as in a fresh import process.
    """
    batches = [([(s.text, s.paragraph) for s in d.statements], d.language) for d in documents]
    count = sum(len(batch) for batch, _ in batches)
    use_lemmatiser(_current_lemmatiser)
    started = time.perf_counter()
    for batch, language in batches:
        suggest_document(batch, language)
    attributor = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for batch, language in batches:
        segment_document("\n".join(text for text, _ in batch), language)
    reference = count / (time.perf_counter() - started)
    return attributor, reference


# --- lemmatisers -------------------------------------------------------------------------------

_current_lemmatiser: Lemmatiser | None = None


def hanta_lemmatiser() -> Lemmatiser:
    """HanTa (Hannover Tagger), for comparison: install it beside the project to use this."""
    from HanTa import HanoverTagger

    taggers = {
        "de": HanoverTagger.HanoverTagger("morphmodel_ger.pgz"),
        "en": HanoverTagger.HanoverTagger("morphmodel_en.pgz"),
    }

    def lemmatise(word: str, language: str) -> str:
        return taggers[language].analyze(word)[0]

    return lemmatise


LEMMATISERS = {"simplemma": lambda: None, "hanta": hanta_lemmatiser}


def lemmatiser_select(name: str) -> None:
    global _current_lemmatiser
    _current_lemmatiser = LEMMATISERS[name]()
    use_lemmatiser(_current_lemmatiser)


# --- report ------------------------------------------------------------------------------------


def report_line(name: str, result: Score, statements: int) -> str:
    return (
        f"{name:<18} statements {statements:>6}  attributed {result.attributed:>5}  "
        f"suggested {result.suggested:>5}  right {result.right:>5}  "
        f"P {result.precision:.3f}  R {result.recall:.3f}  F1 {result.f1:.3f}"
    )


def confusion(name: str, result: Score, top: int) -> list[str]:
    lines = [f"  {name}: misses by annotated cue (lemma), top {top}:"]
    lines += [f"    {count:>5}  {cue}" for cue, count in result.missed.most_common(top)]
    lines.append(f"  {name}: wrong suggestions by our cue (lemma), top {top}:")
    lines += [f"    {count:>5}  {cue}" for cue, count in result.wrong.most_common(top)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polnear", type=Path, help="PolNeAR's data folder (holds train/, dev/)")
    parser.add_argument("--polnear-splits", nargs="+", default=["train", "dev"])
    parser.add_argument("--spkatt", type=Path, help="SpkAtt-2023's train/task1 folder")
    parser.add_argument("--top", type=int, default=15, help="rows in each confusion list")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    parser.add_argument(
        "--lemmatiser",
        nargs="+",
        choices=sorted(LEMMATISERS),
        default=["simplemma"],
        help="run once per lemmatiser (hanta needs the HanTa package installed)",
    )
    args = parser.parse_args(argv)
    if not args.polnear and not args.spkatt:
        parser.error("give --polnear DIR, --spkatt DIR or both")

    corpora = []
    if args.polnear:
        for split in args.polnear_splits:
            corpora.append((f"PolNeAR {split}", read_polnear(args.polnear / split), False))
    if args.spkatt:
        documents = read_spkatt(args.spkatt)
        for half in ("tuning", "check"):
            chosen = [d for d in documents if spkatt_half(d) == half]
            corpora.append((f"SpkAtt {half}", chosen, True))
        corpora.append(("SpkAtt all", documents, True))
    every_document = [d for name, docs, _ in corpora if name != "SpkAtt all" for d in docs]
    for name in args.lemmatiser:
        lemmatiser_select(name)
        print(f"== lemmatiser: {name}")
        for label, documents, skip_pronouns in corpora:
            result, count = score(documents, skip_pronoun_sources=skip_pronouns)
            print(report_line(label, result, count))
            if args.top and label != "SpkAtt all":
                print("\n".join(confusion(label, result, args.top)))
        if not args.no_speed:
            attributor, reference = statements_per_second(every_document)
            print(
                f"speed: attributor {attributor:,.0f} statements/s; SoMaJo splitting the same "
                f"text {reference:,.0f} statements/s; ratio {attributor / reference:.2f}"
            )
    lemmatiser_select("simplemma")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
