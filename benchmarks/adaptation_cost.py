"""Adaptation cost and a realistic check of the adaptation methods on curated pairs.

Encodes the curated pairs' ``train`` and ``test`` photos with a saved model (default:
the newest ``data/06_models/retina_clip/<version>/``) and, as the baseline, with the
same architecture randomly initialised; the labels are the pairs' finding codes
(multi-label, one-vs-rest). Then runs:

* zero-shot (prototypes from a few Chinese prompts per finding);
  (``--task single``: only photos with exactly one finding, that finding as the class);
* the linear probe at 1/2/4/8/16 shots and all data over 5 seeds, on both models;
* Tip-Adapter-F at 1/2/4/8/16 shots;
* LoRA and full fine-tuning with the default :class:`AdaptationBudget` (the figure for
  "Adaptation cost" in docs/benchmarks.md: seconds for both on one set).

Prints a Markdown table and ends with one JSON line of the figures.

Examples::

    python benchmarks/adaptation_cost.py                       # newest demo model
    python benchmarks/adaptation_cost.py --model DIR --tokenizer DIR --threads 1
    python benchmarks/adaptation_cost.py --max-test 64 --skip-probe   # timing only
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import torch
import torch.nn.functional as F
from PIL import Image

from revision_pipeline.evaluation.adaptation import (
    AdaptationBudget,
    full_finetune,
    linear_probe,
    lora_finetune,
    score_predictions,
    tip_adapter_f,
)
from revision_pipeline.models import (
    build_model,
    encode_batch,
    load_pretrained,
    load_tokenizer,
)
from revision_pipeline.text import FINDING_CODES, load_vocabulary

logger = logging.getLogger("adaptation_cost")
TEMPLATES = ("{}", "诊断：{}", "眼底检查所见：{}", "印象：{}")


def newest(folder: Path) -> Path | None:
    """Newest version folder (Kedro versions sort by time) under ``folder``."""
    versions = sorted(p for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []
    return versions[-1] if versions else None


def load_split(pairs: Path, split: str, size: int, mean, std, cap: int | None, seed: int):
    """Images ``(N, 3, size, size)`` and multi-hot finding labels of one split."""
    table = ds.dataset(pairs).to_table(
        columns=["split", "image", "labels"], filter=ds.field("split") == split
    )
    frame = table.to_pandas()
    if cap is not None and len(frame) > cap:
        frame = frame.sample(cap, random_state=seed)
    mean_t = torch.tensor(mean).view(3, 1, 1)
    std_t = torch.tensor(std).view(3, 1, 1)
    images = []
    for blob in frame["image"]:
        img = Image.open(io.BytesIO(blob)).convert("RGB").resize((size, size), Image.BILINEAR)
        arr = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        images.append((arr - mean_t) / std_t)
    codes = {c: i for i, c in enumerate(FINDING_CODES)}
    y = np.zeros((len(frame), len(codes)), dtype=np.uint8)
    for row, labels in enumerate(frame["labels"]):
        for code in labels:
            if code in codes:
                y[row, codes[code]] = 1
    return torch.stack(images), y


@torch.no_grad()
def encode(model: torch.nn.Module, images: torch.Tensor, batch: int = 64) -> np.ndarray:
    model.eval()
    return torch.cat(
        [model.encode_image(images[i : i + batch]) for i in range(0, len(images), batch)]
    ).numpy()


@torch.no_grad()
def prototypes(model: torch.nn.Module, tokenizer, max_len: int) -> torch.Tensor:
    """Mean of normalised prompt embeddings per finding code, normalised."""
    vocab = load_vocabulary()
    out = []
    for code in FINDING_CODES:
        finding = vocab.findings[code]
        texts = [t.format(term) for term in (finding.zh, *finding.terms[:2]) for t in TEMPLATES]
        batch = encode_batch(tokenizer, texts, max_len=max_len)
        emb = model.encode_text(batch["input_ids"], batch["attention_mask"])
        out.append(F.normalize(emb.mean(0), dim=-1))
    return torch.stack(out)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    return (
        df.groupby(["method", "shots"])
        .agg(
            auroc_mean=("auroc", "mean"),
            auroc_sd=("auroc", "std"),
            runs=("seed", "count"),
            trainable_params=("trainable_params", "first"),
            seconds=("seconds", "sum"),
        )
        .round(4)
    )


def markdown(frame: pd.DataFrame) -> str:
    """A Markdown table (pandas' to_markdown needs tabulate, not installed)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + " --- |" * len(frame.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--model", type=Path, help="saved RetinaCLIP folder")
    parser.add_argument("--tokenizer", type=Path, help="its tokenizer folder")
    parser.add_argument(
        "--pairs", type=Path, help="curated pairs (default data/05_model_input/pairs)"
    )
    parser.add_argument("--max-train", type=int, default=800)
    parser.add_argument("--max-test", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--skip-probe", action="store_true", help="only time LoRA / full FT")
    parser.add_argument(
        "--task",
        choices=("multi", "single"),
        default="multi",
        help="single: photos with exactly one finding, that finding as the class",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = args.model or newest(args.data / "06_models" / "retina_clip")
    tok_dir = args.tokenizer or newest(args.data / "06_models" / "tokenizer")
    pairs = args.pairs or args.data / "05_model_input" / "pairs"
    if model_dir is None or tok_dir is None:
        raise SystemExit(
            f"no model/tokenizer under {args.data}/06_models; pass --model/--tokenizer"
        )
    model, config = load_pretrained(model_dir)
    model.eval()
    tokenizer = load_tokenizer(tok_dir)
    torch.manual_seed(0)
    random_model = build_model(config, model.text.vocab_size, tokenizer.pad_token_id).eval()
    vision = config.vision
    load = time.perf_counter()
    train_images, train_y = load_split(
        pairs, "train", vision.image_size, vision.mean, vision.std, args.max_train, 0
    )
    test_images, test_y = load_split(
        pairs, "test", vision.image_size, vision.mean, vision.std, args.max_test, 0
    )
    if args.task == "single":  # photos with exactly one finding
        one_tr, one_te = train_y.sum(1) == 1, test_y.sum(1) == 1
        train_images, train_y = train_images[torch.from_numpy(one_tr)], train_y[one_tr]
        test_images, test_y = test_images[torch.from_numpy(one_te)], test_y[one_te]
    keep = (train_y.sum(0) > 0) & (test_y.sum(0) > 0)  # findings both splits carry
    classes = [c for c, k in zip(FINDING_CODES, keep, strict=True) if k]
    if args.task == "single":
        rows_tr, rows_te = train_y[:, keep].sum(1) == 1, test_y[:, keep].sum(1) == 1
        train_images, test_images = train_images[rows_tr], test_images[rows_te]
        train_y = train_y[rows_tr][:, keep].argmax(1)
        test_y = test_y[rows_te][:, keep].argmax(1)
    else:
        train_y, test_y = train_y[:, keep], test_y[:, keep]
    n_classes = len(classes)
    logger.info(
        "%d train / %d test photos, %d findings %s (%.1f s to decode)",
        len(train_y),
        len(test_y),
        n_classes,
        classes,
        time.perf_counter() - load,
    )
    protos = prototypes(model, tokenizer, config.text.max_len)[torch.from_numpy(keep)]
    figures: dict[str, object] = {"model": str(model_dir), "threads": torch.get_num_threads()}
    results = []
    task = args.task
    if not args.skip_probe:
        start = time.perf_counter()
        tr, te = encode(model, train_images), encode(model, test_images)
        figures["encode_images_per_s"] = round(
            (len(tr) + len(te)) / (time.perf_counter() - start), 1
        )
        zs = score_predictions(test_y, te @ protos.numpy().T, task, n_classes)
        figures["zero_shot_auroc"] = round(zs["auroc"], 4)
        kw = {"task": task, "n_classes": n_classes}
        results.append(linear_probe(tr, train_y, te, test_y, **kw))
        results.append(tip_adapter_f(tr, train_y, te, test_y, protos.numpy(), **kw))
        rtr, rte = encode(random_model, train_images), encode(random_model, test_images)
        probe_random = linear_probe(rtr, train_y, rte, test_y, **kw)
        probe_random["method"] = "linear_probe_random_init"
        results.append(probe_random)
    budget = AdaptationBudget()
    for fn in (lora_finetune, full_finetune):
        results.append(
            fn(
                model,
                train_images,
                train_y,
                test_images,
                test_y,
                protos,
                task=task,
                n_classes=n_classes,
                budget=budget,
            )
        )
    table = pd.concat(results, ignore_index=True)
    print(markdown(summary(table).reset_index()))
    seconds = table.groupby("method")["seconds"].sum().round(2).to_dict()
    figures.update(
        {
            "n_train": len(train_y),
            "n_test": len(test_y),
            "budget": budget.__dict__,
            "seconds": seconds,
            "lora_plus_full_s": round(seconds["lora"] + seconds["full_finetune"], 2),
            "auroc": table.groupby(["method", "shots"])["auroc"]
            .mean()
            .round(4)
            .rename(lambda s: str(s), level=1)
            .to_dict(),
        }
    )
    figures["auroc"] = {f"{m}@{s}": v for (m, s), v in figures["auroc"].items()}
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
