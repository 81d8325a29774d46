"""Jieba + WordPiece tokenizer: training, save/load round trip, encoding, model fit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from revision_pipeline.models import (
    build_model,
    check_tokenizer_matches,
    config_from_dict,
    encode_batch,
    load_tokenizer,
    segment,
    train_tokenizer,
)
from revision_pipeline.models.tokenizer import ophthalmic_words

REPORTS = [
    "右眼视网膜中央静脉阻塞，黄斑水肿。",
    "左眼眼底未见明显异常。",
    "双眼中度非增殖期糖尿病视网膜病变，可见微血管瘤及硬性渗出。",
    "[日期]复查：右眼黄斑水肿较前减轻。",
    "左眼视盘旁萎缩，豹纹状眼底，考虑病理性近视。",
    "双眼青光眼，杯盘比扩大。",
] * 5


@pytest.fixture(scope="module")
def tokenizer():
    # room for every dictionary word to become one token: its characters and merges
    # (the dictionary is data and grows; a fixed size would starve the longest terms)
    room = sum(len(w) for w in ophthalmic_words()) + 200
    return train_tokenizer(REPORTS, vocab_size=room, user_words=["复查"])


def _tokens(tok, text: str) -> list[str]:
    ids = encode_batch(tok, [text], max_len=32, pad_to_max=False)["input_ids"][0]
    return tok.convert_ids_to_tokens(ids.tolist())


def test_segment_keeps_clinical_terms_and_placeholders() -> None:
    words = segment("[日期]右眼视网膜中央静脉阻塞伴黄斑水肿")
    assert words[0] == "[日期]"
    assert "视网膜中央静脉阻塞" in words and "黄斑水肿" in words
    assert "黄斑水肿" in ophthalmic_words() and "青光眼" in ophthalmic_words()


def test_clinical_terms_are_single_tokens(tokenizer) -> None:
    tokens = _tokens(tokenizer, "右眼视网膜中央静脉阻塞，黄斑水肿")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert "视网膜中央静脉阻塞" in tokens and "黄斑水肿" in tokens
    assert "[UNK]" not in tokens
    assert tokenizer.pad_token_id == 0


def test_placeholder_is_one_token(tokenizer) -> None:
    tokens = _tokens(tokenizer, "[日期]复查")
    assert tokens[1:3] == ["[日期]", "复查"]
    assert "[地址]" in tokenizer.get_vocab()  # default placeholders exist even if unseen


def test_save_load_round_trip(tokenizer, tmp_path: Path) -> None:
    tokenizer.save_pretrained(tmp_path / "tok")
    loaded = load_tokenizer(tmp_path / "tok")
    texts = [*REPORTS[:6], "[日期]双眼黄斑水肿，视网膜中央静脉阻塞待排"]
    first = encode_batch(tokenizer, texts, max_len=24)
    again = encode_batch(loaded, texts, max_len=24)
    assert torch.equal(first["input_ids"], again["input_ids"])
    assert torch.equal(first["attention_mask"], again["attention_mask"])
    assert first["input_ids"].shape == (7, 24)
    tokens = _tokens(loaded, "视网膜中央静脉阻塞伴黄斑水肿")
    assert "视网膜中央静脉阻塞" in tokens and "黄斑水肿" in tokens
    assert len(loaded) == len(tokenizer)
    from_file = load_tokenizer(tmp_path / "tok" / "tokenizer.json")  # keeps jieba settings
    assert torch.equal(encode_batch(from_file, texts, max_len=24)["input_ids"], first["input_ids"])


def test_encode_batch_padding_and_truncation(tokenizer) -> None:
    enc = encode_batch(tokenizer, ["左眼眼底未见明显异常。", REPORTS[2] * 4], max_len=10)
    assert enc["input_ids"].shape == (2, 10)
    assert enc["attention_mask"][0].sum() < 10
    assert (enc["input_ids"][0][enc["attention_mask"][0] == 0] == tokenizer.pad_token_id).all()
    assert enc["attention_mask"][1].all()
    assert enc["input_ids"][1, -1] == tokenizer.sep_token_id
    shortest = encode_batch(tokenizer, ["青光眼"], max_len=10, pad_to_max=False)
    assert shortest["input_ids"].shape[1] < 10


def test_model_built_for_tokenizer_matches(tokenizer) -> None:
    config = config_from_dict({
        "embed_dim": 8,
        "vision": {"timm_name": "vit_tiny_patch16_224", "image_size": 32,
                   "timm_kwargs": {"depth": 1, "embed_dim": 24, "num_heads": 2}},
        "text": {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "max_len": 16},
    })  # fmt: skip
    model = build_model(config, len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    check_tokenizer_matches(model, tokenizer)
    enc = encode_batch(tokenizer, REPORTS[:2], max_len=16)
    assert model.encode_text(**enc).shape == (2, 8)
    other = train_tokenizer(REPORTS, vocab_size=200, placeholders=())
    assert len(other) != len(tokenizer)
    with pytest.raises(ValueError, match="built for another tokenizer"):
        check_tokenizer_matches(model, other)


def test_load_pretrained_style_bert_directory(tmp_path: Path) -> None:
    # what a downloaded RoBERTa-wwm-ext checkpoint ships: vocab.txt + BERT tokenizer config
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"右眼黄斑水肿视网膜"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n", "utf-8")
    (tmp_path / "tokenizer_config.json").write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}', "utf-8"
    )
    tok = load_tokenizer(tmp_path)
    tokens = _tokens(tok, "右眼黄斑水肿")
    assert tokens == ["[CLS]", "右", "眼", "黄", "斑", "水", "肿", "[SEP]"]  # no jieba here


def test_load_tokenizer_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        load_tokenizer(tmp_path / "nope")


def test_strings_of_fewer_than_k_patients_never_enter_the_vocabulary() -> None:
    # QWERTY is in the reports of 4 patients (many times each), ASDFGH in 5
    texts, patients = [], []
    for p in range(8):
        for _ in range(6):
            extra = ("QWERTY " if p < 4 else "") + ("ASDFGH" if p < 5 else "")
            texts.append(f"右眼黄斑水肿{extra}。")
            patients.append(f"pat{p}")
    tok = train_tokenizer(texts, vocab_size=400, patients=patients, min_patients=5)
    entries = {t.removeprefix("##") for t in tok.get_vocab()}
    assert "ASDFGH" in entries
    rare = "QWERTY"
    pieces = {rare[i:j] for i in range(len(rare)) for j in range(i + 2, len(rare) + 1)}
    assert not entries & pieces
    assert not (set(rare) - set("ASDFGH")) & entries  # its own letters are rare too
    # without the filter, the rare string is learned
    plain = train_tokenizer(texts, vocab_size=400)
    assert "QWERTY" in {t.removeprefix("##") for t in plain.get_vocab()}


def test_length_covering_keeps_the_asked_share_whole(tokenizer) -> None:
    from revision_pipeline.models.tokenizer import length_covering, token_lengths

    texts = ["青光眼。"] * 19 + ["双眼中度非增殖期糖尿病视网膜病变，可见微血管瘤及硬性渗出。" * 6]
    lengths = token_lengths(tokenizer, texts)
    short, long = int(lengths[0]), int(lengths[-1])
    assert short < 8 < long  # [CLS] + a few words + [SEP]; the outlier is far longer
    assert length_covering(tokenizer, texts, coverage=0.95) == 8  # rounded up to 8
    assert length_covering(tokenizer, texts, coverage=0.95, multiple=1) == short
    assert length_covering(tokenizer, texts, coverage=1.0, multiple=1) == long
    assert length_covering(tokenizer, texts, coverage=1.0, sample=5, multiple=1) <= long
    with pytest.raises(ValueError, match="coverage"):
        length_covering(tokenizer, texts, coverage=0)
    with pytest.raises(ValueError, match="no texts"):
        length_covering(tokenizer, ["", ""])


def test_training_twice_gives_the_same_vocabulary_and_ids() -> None:
    # tokenizers' own WordPiece trainer numbers "##x" pieces in hash-map order: 20 runs on
    # these tied counts gave 20 different vocabularies; a resumed pretraining that retrains
    # its tokenizer must get the ids its checkpoint's embeddings were trained with
    reports = [
        "视网膜 黄斑 水肿 出血 渗出 玻璃体 视盘 杯盘比 动脉 静脉 阻塞 新生血管",
        "糖尿病 视网膜 病变 增殖期 非增殖期 高血压 动脉硬化",
    ] * 3
    trained = {train_tokenizer(reports, vocab_size=60).backend_tokenizer.to_str() for _ in range(8)}
    assert len(trained) == 1
    tokenizer = train_tokenizer(reports, vocab_size=60)
    assert tokenizer.pad_token_id == 0
    assert "##视" not in tokenizer.all_special_tokens  # pieces are ordinary vocabulary
    ids = tokenizer("视网膜病变")["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True).replace(" ", "") == "视网膜病变"
