"""The second line of defence: name-shaped text left after scrubbing, counted."""

from __future__ import annotations

from revision_pipeline.deid.suspects import count_suspected, suspected_names
from revision_pipeline.deid.text import scrub

LEAKY = "今日王国庆诉双眼视物模糊，李秀英陪同。"
CLEAN = "双眼视盘界清，黄斑区可见硬性渗出，周边视网膜格子样变性，高血压病史10年。"


def test_names_left_in_text_are_counted_and_clinical_text_is_not():
    assert suspected_names("患者刘子涵诉右眼视力下降") == 1
    assert suspected_names(CLEAN) == 0
    assert suspected_names("[姓名]，男，56岁，双眼白内障，雷珠单抗注射后复查。") == 0


def test_known_identifiers_are_left_to_the_audit():
    assert suspected_names("患者刘子涵诉右眼视力下降", known=frozenset({"刘子涵"})) == 0


def test_scrubbed_text_holds_no_suspect():
    assert suspected_names(scrub("患儿刘子涵，男，6岁，由其母亲王芳代诉双眼斜视")) == 0


def test_counts_per_institution_hold_no_text():
    counts = count_suspected(["H1", "H1", "H2"], ["患者刘子涵诉右眼视力下降", CLEAN, CLEAN])
    assert counts == {"H1": (2, 1, 1), "H2": (1, 0, 0)}
    assert all(isinstance(v, int) for row in counts.values() for v in row)
