"""KEGG sample files in KEGG's formats.

Written:

* ``map*.xml`` — one reference map (KGML v0.7.2) per entry of
  :data:`astrobuild.sample.universe.PATHWAY_CATALOGUE` (the ids the run
  biospheres name), with compound, ortholog and map entries, graphics,
  relations and reactions. Reactions use real KEGG compound and reaction ids
  (hand-written, small versions of the real maps: glycolysis runs glucose ->
  pyruvate, methane metabolism holds methanogenesis from CO2, methanol,
  methylamine and acetate down to methane ``cpd:C01438``, and its oxidation);
  some reaction names hold two ids (``rn:R01061 rn:R01063``). map00680 in a
  biosphere is the label's biosphere condition; its compounds (methane
  ``C01438``, coenzyme M ``C03576``, ...) are in no other map of the sample.
* ``ko*.xml`` — the KO copies (KGML v0.7.1; every fourth map in the old
  v0.6.1 layout: reactions without ``id``, substrates/products with only a
  ``name``), with a reaction listed twice, as real KO maps do.
* ``<org>*.xml`` — organism copies (``hsa``, ``mja``, ``eco``, ... then
  made-up codes), ``scale`` organisms, each with most of the maps and most
  of their reactions; a quarter in v0.6.1. Scale 1 gives a few dozen files,
  scale 100 a few thousand.
* ``map03070.xml`` entries only (no reactions); ``map00590.xml`` not
  well-formed (a truncated download); ``map00591.xml`` an HTML error page
  (root ``<html>``).
* ``map01100.xml``, ``map01120.xml``, ``map01220.xml`` — overview maps whose
  members are ``type="map"`` entries; no reactions.
* ``br08901.keg`` (htext with ``+``/``#``/``!`` lines and HTML) and
  ``br08901.json`` — the pathway hierarchy.
* ``list_pathway.txt``, ``list_pathway_hsa.txt`` (old ``path:`` ids),
  ``list_hsa.txt`` (4 columns), ``list_mja.txt`` (old 2 columns).
* ``link_pathway_map01220.txt`` (overview -> member pathways),
  ``link_module_pathway.txt`` (pathway -> module), ``link_pathway_ko.txt`` and
  ``link_pathway_ec.txt`` (KO / EC number -> map, the organisms chain's
  membership), KEGG REST ``link`` output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from astrobuild.sample.brite import brite_htext, brite_json
from astrobuild.sample.community import link_text, reaction_kos
from astrobuild.sample.universe import METHANOGENESIS, PATHWAY_CATALOGUE, build_universe

# reaction ids | substrates > products | r(eversible) or i(rreversible); ids without prefixes.
REACTIONS: dict[str, tuple[str, ...]] = {
    "map00010": (
        "R01786|C00031 C00002>C00092 C00008|i", "R02740|C00092>C05345|r", "R04779|C05345 C00002>C05378 C00008|i",
        "R01070|C05378>C00111 C00118|r", "R01015|C00111>C00118|r",
        "R01061 R01063|C00118 C00009 C00003>C00236 C00004|r", "R01512|C00236 C00008>C00197 C00002|r",
        "R01518|C00197>C00631|r", "R00658|C00631>C00074 C00001|r", "R00200|C00074 C00008>C00022 C00002|i",
        "R00703|C00022 C00004>C00186 C00003|r", "R00014|C00022 C00068>C05125 C00011|i",
        "R00754|C00469 C00003>C00084 C00004|r", "R00710|C00084 C00003>C00033 C00004|r",
    ),
    "map00020": (
        "R00351|C00024 C00036 C00001>C00158 C00010|i", "R01325|C00158>C00417 C00001|r",
        "R01900|C00417 C00001>C00311|r", "R00709|C00311 C00003>C00026 C00011 C00004|i",
        "R00267|C00311 C00006>C00026 C00011 C00005|r", "R08549|C00026 C00010 C00003>C00091 C00011 C00004|i",
        "R00405|C00042 C00002 C00010>C00091 C00008 C00009|r",
        "R00432 R00727|C00042 C00044 C00010>C00091 C00035 C00009|r", "R02164|C00042 C15602>C00122 C15603|r",
        "R01082|C00149>C00122 C00001|r", "R00342|C00149 C00003>C00036 C00004|r",
        "R00344|C00022 C00011 C00002>C00036 C00008 C00009|i",
    ),
    "map00030": (
        "R02736|C01172 C00006>C01236 C00005|i", "R02035|C01236 C00001>C00345|i",
        "R01528|C00345 C00006>C00199 C00011 C00005|i", "R01056|C00199>C00117|r", "R01529|C00199>C00231|r",
        "R01641|C00117 C00231>C05382 C00118|r", "R01827|C05382 C00118>C00279 C00085|r",
        "R01830|C00279 C00231>C00085 C00118|r",
    ),
    "map00190": (
        "R11945|C00004 C00399>C00003 C00390|i", "R02164|C00042 C00399>C00122 C00390|r",
        "R02161|C00390 C00125>C00399 C00126|i", "R00081|C00126 C00007>C00125 C00001|i",
        "R00086|C00002 C00001>C00008 C00009|r", "R00004|C00013 C00001>C00009|i",
    ),
    "map00195": (
        "R09503|C00001 C02061>C00007 C16693|i", "R03817|C16693 C03162>C02061 C03025|i",
        "R09542|C03025 C00139>C03162 C00138|i", "R01195|C00138 C00006>C00139 C00005|r",
        "R00086|C00002 C00001>C00008 C00009|r",
    ),
    METHANOGENESIS: (  # map00680 Methane metabolism
        "R03015|C00011 C00862 C00138>C01001 C00139 C00001|r", "R03390|C01001 C01217>C00862 C03390|r",
        "R03464|C03390>C04330 C00001|r", "R04456|C04330 C01080>C04377 C00876|r",
        "R04464|C04377 C01080>C04488 C00876|r", "R04347|C04488 C03576>C01217 C03920|i",
        "R04541|C03920 C04628>C01438 C04832|i", "R11931|C04832 C00282>C03576 C04628|i",
        "R09098|C00132 C03576>C03920 C00001|i", "R09124|C00218 C03576>C03920 C00014|i",
        "R00235|C00033 C00002 C00010>C00024 C00020 C00013|i", "R01142|C01438 C00007 C00004>C00132 C00001 C00003|i",
        "R00605|C00132>C00067|i", "R00604|C00067 C00003 C00001>C00058 C00004|i", "R00519|C00058 C00003>C00011 C00004|i",
    ),
    "map00720": (
        "R00134|C00058 C00006>C00011 C00005|r", "R00943|C00058 C00101 C00002>C00234 C00008 C00009|i",
        "R01655|C00234>C00445 C00001|r", "R01220|C00445 C00005>C00143 C00006|r",
        "R07168|C00143 C00004>C00440 C00003|i", "R07157|C00011 C00138>C00237 C00139 C00001|r",
        "R08433|C00237 C00010 C00440>C00024 C00101|i", "R01197|C00091 C00011 C00138>C00026 C00010 C00139|r",
        "R01196|C00024 C00011 C00138>C00022 C00010 C00139|r", "R00352|C00158 C00002 C00010>C00024 C00036 C00008 C00009|i",
    ),
    "map00910": (
        "R00798|C00244 C00004>C00088 C00003 C00001|i", "R00785|C00088 C00126>C00533 C00125 C00001|i",
        "R00294|C00533 C00126>C00887 C00125 C00001|i", "R02804|C00887 C00126>C00697 C00125 C00001|i",
        "R05185|C00697 C00002 C00138>C00014 C00008 C00009 C00139|i", "R00148|C00014 C00007 C00004>C00192 C00001 C00003|i",
        "R00143|C00192 C00125>C00088 C00126|i", "R00253|C00025 C00014 C00002>C00064 C00008 C00009|i",
        "R00248|C00025 C00006 C00001>C00026 C00014 C00005|r",
    ),
    "map00920": (
        "R00529|C00059 C00002>C00224 C00013|r", "R08553|C00224 C00004>C00094 C00020 C00003|r",
        "R00861|C00094 C00005>C00283 C00006 C00001|r", "R00897|C00979 C00283>C00097 C00033|i",
        "R10152|C00283 C00399>C00087 C00390|i", "R00533|C00087 C00007 C00001>C00094|i",
        "R00531|C00094 C00125 C00001>C00059 C00126|i",
    ),
    "map00061": (
        "R00742|C00024 C00002 C00288>C00083 C00008 C00009|i", "R01626|C00083 C00229>C01209 C00010|r",
        "R10707|C00024 C01209>C05744 C00010 C00011|i", "R04533|C05744 C00005>C04618 C00006|r",
        "R04428|C04618>C04246 C00001|r", "R04430|C04246 C00005>C05745 C00006|i", "R08159|C05764 C00001>C00249 C00229|i",
    ),
    "map00230": (
        "R01049|C00117 C00002>C00119 C00020|i", "R01072|C00119 C00064 C00001>C03090 C00025 C00013|i",
        "R01130|C00130 C00003 C00001>C00655 C00004|r", "R01231|C00655 C00002 C00064>C00144 C00020 C00013 C00025|i",
        "R01135|C00130 C00044 C00049>C03794 C00035 C00009|i", "R01083|C03794>C00020 C00122|r",
        "R00127|C00002 C00020>C00008|r", "R01769|C00262 C00003 C00001>C00385 C00004|i",
        "R02107|C00385 C00003 C00001>C00366 C00004|i",
    ),
    "map00240": (
        "R00575|C00064 C00288 C00002>C00169 C00025 C00008 C00009|i", "R01397|C00169 C00049>C00438 C00009|i",
        "R01993|C00438>C00337 C00001|r", "R01868|C00337 C00399>C00295 C00390|r",
        "R01870|C00295 C00119>C01103 C00013|r", "R00965|C01103>C00105 C00011|i", "R00158|C00105 C00002>C00015 C00008|r",
        "R00571|C00075 C00002 C00014>C00063 C00008 C00009|i",
    ),
    "map00250": (
        "R00355|C00049 C00026>C00036 C00025|r", "R00258|C00041 C00026>C00022 C00025|r",
        "R00248|C00025 C00006 C00001>C00026 C00014 C00005|r", "R00253|C00025 C00014 C00002>C00064 C00008 C00009|i",
        "R00485|C00152 C00001>C00049 C00014|i", "R00578|C00049 C00064 C00002 C00001>C00152 C00025 C00020 C00013|i",
        "R00261|C00025>C00334 C00011|i", "R01648|C00334 C00026>C00232 C00025|r",
        "R00713|C00232 C00003 C00001>C00042 C00004|i",
    ),
    "map00260": (
        "R01513|C00197 C00003>C03232 C00004|r", "R04173|C03232 C00025>C01005 C00026|r",
        "R00582|C01005 C00001>C00065 C00009|i", "R00945|C00065 C00101>C00037 C00143 C00001|r",
        "R01465|C00188 C00003>C03508 C00004|r", "R00371|C03508 C00010>C00037 C00024|r",
        "R00751|C00188>C00037 C00084|r", "R00220|C00065>C00022 C00014|i",
    ),
    "map00270": (
        "R00586|C00065 C00024>C00979 C00010|r", "R00897|C00979 C00283>C00097 C00033|i",
        "R00177|C00073 C00002 C00001>C00019 C00009 C00013|i", "R00192|C00021 C00001>C00155 C00212|r",
        "R00946|C00440 C00155>C00101 C00073|i", "R01290|C00155 C00065>C02291 C00001|i",
        "R01001|C02291 C00001>C00097 C00109 C00014|i",
    ),
    "map00620": (
        "R00200|C00074 C00008>C00022 C00002|i", "R00703|C00022 C00004>C00186 C00003|r",
        "R00209|C00022 C00010 C00003>C00024 C00011 C00004|i", "R00212|C00022 C00010>C00024 C00058|r",
        "R00315|C00002 C00033>C00008 C00227|r", "R00230|C00024 C00009>C00010 C00227|r",
        "R00342|C00149 C00003>C00036 C00004|r", "R00216|C00149 C00006>C00022 C00011 C00005|r",
        "R00341|C00036 C00002>C00074 C00008 C00011|i", "R00199|C00022 C00002 C00001>C00074 C00020 C00009|i",
    ),
    "map00630": (
        "R00479|C00311>C00042 C00048|r", "R00472|C00048 C00024 C00001>C00149 C00010|i",
        "R00475|C00160 C00007>C00048 C00027|i", "R00009|C00027>C00007 C00001|i",
        "R01334|C00988 C00001>C00160 C00009|i", "R00372|C00048 C00041>C00037 C00022|r",
    ),
    "map00640": (
        "R01354|C00163 C00002 C00010>C00100 C00020 C00013|i", "R01859|C00100 C00002 C00288>C00683 C00008 C00009|i",
        "R02765|C00683>C01213|r", "R00833|C01213>C00091|r", "R01353|C00163 C00002>C02876 C00008|r",
    ),
    "map00650": (
        "R00238|C00024>C00332 C00010|r", "R01975|C00332 C00004>C01144 C00003|r", "R03026|C01144>C00877 C00001|r",
        "R01171|C00877 C00004>C00136 C00003|i", "R01176|C00136 C00033>C00246 C00024|r",
        "R01648|C00334 C00026>C00232 C00025|r", "R00713|C00232 C00003 C00001>C00042 C00004|i",
    ),
    "map00860": (
        "R00830|C00091 C00037>C00430 C00010 C00011|i", "R00036|C00430>C00931 C00001|i",
        "R00084|C00931 C00001>C01024 C00014|i", "R03165|C01024>C01051 C00001|i", "R03197|C01051>C03263 C00011|i",
        "R03220|C03263 C00007>C01079 C00011 C00001|i", "R03222|C01079 C00007>C02191 C00001|i",
        "R00310|C02191 C00023>C00032 C00080|i", "R03877|C02191 C00305 C00002 C00001>C03516 C00008 C00009 C00080|i",
    ),
    "map00130": (
        "R01302|C00251>C00156 C00022|i", "R05000|C00156 C04146>C05809 C00013|i", "R04987|C05809>C05810 C00011|i",
        "R04988|C05810 C00007 C00005>C05811 C00006 C00001|i",
    ),
    "map00253": (
        "R00742|C00024 C00002 C00288>C00083 C00008 C00009|i", "R06641|C00083 C06625>C12441|i",
        "R06642|C12441>C12442|i", "R05463|C06629>C06628|i", "R05462|C06628>C06627|i", "R05456|C06627>C06626|i",
    ),
    "map00362": (
        "R01422|C00180 C00002 C00010>C00512 C00020 C00013|i", "R01298|C00156 C00005 C00007>C00230 C00006 C00001|i",
        "R01631|C00230 C00007>C01163|i", "R00817|C00090 C00007>C02480|i", "R06989|C02480>C14610|r",
    ),
    "map00625": (
        "R05287|C06752 C00001>C06753 C01327|i", "R05198|C06753 C00003>C06754 C00004|r",
        "R05285|C06754 C00003 C00001>C06755 C00004|i", "R05288|C06755 C00001>C00160 C01327|i",
        "R05292|C02271 C00001>C00067 C01327|i",
    ),
}
# Maps each map links to (type="map" entries), as on the real maps' edges.
NEIGHBOURS = {
    "map00010": ("map00020", "map00030", "map00620"), "map00020": ("map00010", "map00250", "map00630"),
    "map00030": ("map00010", "map00230"), "map00620": ("map00010", "map00020", "map00650"),
    "map00680": ("map00720", "map00630"), "map00720": ("map00680", "map00020"),
}
# Overview maps: (number, title, members)
OVERVIEWS = (
    ("01100", "Metabolic pathways", tuple(p for p, _, _ in PATHWAY_CATALOGUE if p not in ("map00253", "map00625"))),
    ("01120", "Microbial metabolism in diverse environments",
     ("map00010", "map00020", "map00030", "map00620", "map00630", "map00640", "map00650", "map00680", "map00720",
      "map00910", "map00920", "map00362", "map00625")),
    ("01220", "Degradation of aromatic compounds", ("map00362", "map00627", "map00622", "map00633")),
)
# Organisms in the order they are added as scale grows (code, name, gene id style).
ORGANISMS = (
    ("hsa", "Homo sapiens (human)", "entrez"), ("mja", "Methanocaldococcus jannaschii", "MJ_"),
    ("eco", "Escherichia coli K-12 MG1655", "b"), ("sce", "Saccharomyces cerevisiae (budding yeast)", "Y"),
    ("ath", "Arabidopsis thaliana (thale cress)", "AT"), ("mac", "Methanosarcina acetivorans", "MA_"),
    ("bsu", "Bacillus subtilis subsp. subtilis 168", "BSU"), ("syn", "Synechocystis sp. PCC 6803", "sll"),
)
EXTRA_MAPS = (  # in the hierarchy and lists but without a KGML file in the sample
    ("03060", "Protein export", "Genetic Information Processing", "Folding, sorting and degradation"),
    ("03070", "Bacterial secretion system", "Environmental Information Processing", "Membrane transport"),
    ("02010", "ABC transporters", "Environmental Information Processing", "Membrane transport"),
    ("04110", "Cell cycle", "Cellular Processes", "Cell growth and death"),
    ("04910", "Insulin signaling pathway", "Organismal Systems", "Endocrine system"),
)
TITLES = {p: t for p, t, _ in PATHWAY_CATALOGUE}


def _org_code(i: int) -> tuple[str, str, str]:
    if i < len(ORGANISMS):
        return ORGANISMS[i]
    j = i - len(ORGANISMS)
    letters = "abcdefghijklmnopqrstuvwxyz"
    code = "z" + letters[(j // 676) % 26] + letters[(j // 26) % 26] + letters[j % 26]
    return code, f"Sample organism {j + 1}", "SO"


def _gene(org: tuple[str, str, str], n: int) -> str:
    code, _, style = org
    if style == "entrez":
        return f"{code}:{1000 + n * 37}"
    if style == "b":
        return f"{code}:b{n:04d}"
    return f"{code}:{style}{n:04d}"


def _parse(spec: str) -> tuple[list[str], list[str], list[str], bool]:
    ids, eq, kind = spec.split("|")
    left, right = eq.split(">")
    return ids.split(), left.split(), right.split(), kind == "r"


def _kgml(pathway: str, org: str, number: str, title: str, version: str, reactions: list[str],
          rng: np.random.Generator, enzyme_names, map_links: tuple[str, ...] = (), duplicate_first: bool = False,
          extra_entries: str = "") -> str:
    """One KGML document. ``enzyme_names(i)`` gives the name attribute of reaction i's enzyme entry."""
    old = version.startswith("0.6")
    host = "www.genome.jp" if old or version == "0.7.1" else "www.kegg.jp"
    lines = [
        '<?xml version="1.0"?>',
        f'<!DOCTYPE pathway SYSTEM "http://{host}/kegg/xml/KGML_v{version}_.dtd">',
        f"<!-- Creation date: {['Mar 3, 2008', 'May 31, 2012', 'Sep 21, 2016'][0 if old else (1 if version == '0.7.1' else 2)]}"
        " 14:03:10 +0900 (GMT+09:00) -->",
        f'<pathway name="path:{pathway}" org="{org}" number="{number}"',
        f'         title="{title}"',
        f'         image="http://{host}/kegg/pathway/{org}/{pathway}.png"',
        f'         link="http://{host}/kegg-bin/show_pathway?{pathway}">',
    ]
    parsed = [_parse(spec) for spec in reactions]
    compounds = sorted({c for _, s, p, _ in parsed for c in (*s, *p)})
    next_id = 1
    compound_id = {}
    for c in compounds:
        compound_id[c] = next_id
        x, y = int(rng.integers(50, 1200)), int(rng.integers(50, 900))
        lines += [f'    <entry id="{next_id}" name="cpd:{c}" type="compound"',
                  f'        link="http://{host}/dbget-bin/www_bget?{c}">',
                  f'        <graphics name="{c}" fgcolor="#000000" bgcolor="#FFFFFF"',
                  f'             type="circle" x="{x}" y="{y}" width="8" height="8"/>', "    </entry>"]
        next_id += 1
    enzyme_id = []
    entry_type = "ortholog" if org in ("ko", "map") else "gene"
    for i, (ids, _, _, _) in enumerate(parsed):
        rn = " ".join(f"rn:{r}" for r in ids)
        name = enzyme_names(i)
        label = name.split()[0].split(":")[1] + ("..." if " " in name else "")
        x, y = int(rng.integers(50, 1200)), int(rng.integers(50, 900))
        lines += [f'    <entry id="{next_id}" name="{name}" type="{entry_type}" reaction="{rn}"',
                  f'        link="http://{host}/dbget-bin/www_bget?{name.replace(" ", "+")}">',
                  f'        <graphics name="{label}" fgcolor="#000000" bgcolor="#BFBFFF"',
                  f'             type="rectangle" x="{x}" y="{y}" width="46" height="17"/>', "    </entry>"]
        enzyme_id.append(next_id)
        next_id += 1
    prefix = pathway[: -len(number)]
    for target in (pathway, *map_links):
        tnum = target[-5:]
        tname = "TITLE:" + title if target == pathway else TITLES.get(target, f"map {tnum}")
        lines += [f'    <entry id="{next_id}" name="path:{prefix}{tnum}" type="map"',
                  f'        link="http://{host}/dbget-bin/www_bget?{prefix}{tnum}">',
                  f'        <graphics name="{tname}" fgcolor="#000000" bgcolor="#FFFFFF"',
                  f'             type="roundrectangle" x="{int(rng.integers(50, 1200))}" y="{int(rng.integers(50, 900))}"'
                  ' width="120" height="25"/>', "    </entry>"]
        next_id += 1
    if extra_entries:
        lines.append(extra_entries)
    for i in range(len(parsed)):  # ECrel between enzymes where one's product is the next one's substrate
        for j in range(len(parsed)):
            shared = sorted(set(parsed[i][2]) & set(parsed[j][1]))
            if i != j and shared:
                lines.append(f'    <relation entry1="{enzyme_id[i]}" entry2="{enzyme_id[j]}" type="ECrel">')
                lines += [f'        <subtype name="compound" value="{compound_id[c]}"/>' for c in shared]
                lines.append("    </relation>")
    order = list(range(len(parsed))) + ([0] if duplicate_first and parsed else [])
    for k, i in enumerate(order):
        ids, subs, prods, rev = parsed[i]
        rn = " ".join(f"rn:{r}" for r in ids)
        kind = "reversible" if rev else "irreversible"
        rid = enzyme_id[i] if k < len(parsed) else next_id
        lines.append(f'    <reaction name="{rn}" type="{kind}">' if old
                     else f'    <reaction id="{rid}" name="{rn}" type="{kind}">')
        for tag, items in (("substrate", subs), ("product", prods)):
            for c in items:
                if old:
                    lines.append(f'        <{tag} name="cpd:{c}"/>')
                else:
                    lines.append(f'        <{tag} id="{compound_id[c]}" name="cpd:{c}"/>')
        lines.append("    </reaction>")
    lines.append("</pathway>")
    return "\n".join(lines) + "\n"


def _overview_kgml(number: str, title: str, members: tuple[str, ...], rng: np.random.Generator) -> str:
    extra = []
    for i, member in enumerate(members):
        extra += [f'    <entry id="{1000 + i}" name="path:{member}" type="map"',
                  f'        link="http://www.kegg.jp/dbget-bin/www_bget?{member}">',
                  f'        <graphics name="{TITLES.get(member, member)}" fgcolor="#000000" bgcolor="#FFFFFF"',
                  f'             type="roundrectangle" x="{int(rng.integers(50, 4000))}" y="{int(rng.integers(50, 2500))}"'
                  ' width="200" height="25"/>', "    </entry>"]
    return _kgml(f"map{number}", "map", number, title, "0.7.2", [], rng, lambda i: "", extra_entries="\n".join(extra))


def _hierarchy() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(A category, B category, [(number, title)]) in hierarchy order."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {
        ("Metabolism", "Global and overview maps"): [(n, t) for n, t, _ in OVERVIEWS]}
    for pathway, title, path in PATHWAY_CATALOGUE:
        a, b = path.split("/")
        groups.setdefault((a, b), []).append((pathway[3:], title))
    for number, title, a, b in EXTRA_MAPS:
        groups.setdefault((a, b), []).append((number, title))
    return [(a, b, items) for (a, b), items in groups.items()]


def write(outdir: Path, scale: int = 1, seed: int = 0) -> list[Path]:
    universe = build_universe(scale, seed)
    missing = {p for run in universe.runs for p in run.biosphere} - set(REACTIONS)
    if missing:
        raise ValueError(f"biospheres name maps the KEGG sample does not draw: {sorted(missing)}")
    rng = np.random.Generator(np.random.PCG64([seed, 3]))
    outdir = Path(outdir)
    written: list[Path] = []

    def emit(name: str, text: str) -> None:
        path = outdir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    catalogue = [p for p, _, _ in PATHWAY_CATALOGUE]
    for k, pathway in enumerate(catalogue):
        number, title, reactions = pathway[3:], TITLES[pathway], list(REACTIONS[pathway])
        links = NEIGHBOURS.get(pathway, ())
        emit(f"{pathway}.xml", _kgml(pathway, "map", number, title, "0.7.2", reactions, rng,
                                     lambda i, p=pathway: f"ko:{reaction_kos(p, i)[0]}",
                                     map_links=links))
        ko_version = "0.6.1" if k % 4 == 3 else "0.7.1"
        emit(f"ko{number}.xml", _kgml(f"ko{number}", "ko", number, title, ko_version, reactions, rng,
                                      lambda i, p=pathway: " ".join(f"ko:{k}" for k in reaction_kos(p, i)),
                                      map_links=tuple(f"ko{m[3:]}" for m in links), duplicate_first=True))
    genes: dict[str, set[str]] = {}
    for i in range(scale):
        org = _org_code(i)
        code = org[0]
        chosen = [p for p in catalogue if rng.random() < 0.85 or (p == METHANOGENESIS and code in ("mja", "mac"))]
        for pathway in chosen:
            number, specs = pathway[3:], list(REACTIONS[pathway])
            keep = [s for s in specs if rng.random() < 0.85] or specs[:1]
            version = "0.6.1" if rng.random() < 0.25 else str(rng.choice(["0.7.1", "0.7.2"]))
            pool = [_gene(org, int(g)) for g in rng.integers(1, 4000, size=2 * len(keep))]
            genes.setdefault(code, set()).update(pool)
            emit(f"{code}{number}.xml", _kgml(
                f"{code}{number}", code, number, f"{TITLES[pathway]}", version, keep, rng,
                lambda j, pool=pool: " ".join(pool[2 * j: 2 * j + 1 + j % 2]),
                map_links=tuple(f"{code}{m[3:]}" for m in NEIGHBOURS.get(pathway, ()))))

    # edge cases
    emit("map03070.xml", _kgml("map03070", "map", "03070", "Bacterial secretion system", "0.7.1", [], rng,
                               lambda i: "", extra_entries="\n".join(
                                   f'    <entry id="{500 + j}" name="ko:K{3070 + j:05d}" type="ortholog"\n'
                                   f'        link="http://www.genome.jp/dbget-bin/www_bget?K{3070 + j:05d}">\n'
                                   "    </entry>" for j in range(12))))
    full = _kgml("map00590", "map", "00590", "Arachidonic acid metabolism", "0.7.2",
                 list(REACTIONS["map00061"]), rng, lambda i: f"ko:K{590 + i:05d}")
    emit("map00590.xml", full[: len(full) * 2 // 3])  # a download cut short
    emit("map00591.xml", '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>'
                         "KEGG: 403 Forbidden</title></head><body><h1>Forbidden</h1><p>Too many requests."
                         "</p></body></html>\n")
    for number, title, members in OVERVIEWS:
        emit(f"map{number}.xml", _overview_kgml(number, title, members, rng))

    hierarchy = _hierarchy()
    emit("br08901.keg", brite_htext(hierarchy))
    emit("br08901.json", brite_json(hierarchy))

    names = [(p[3:], t) for p, t, _ in PATHWAY_CATALOGUE] + [(n, t) for n, t, _ in OVERVIEWS]
    names += [(n, t) for n, t, _, _ in EXTRA_MAPS]
    emit("list_pathway.txt", "".join(f"map{n}\t{t}\n" for n, t in sorted(names)))
    first = _org_code(0)
    emit("list_pathway_hsa.txt", "".join(f"path:{first[0]}{n}\t{t} - {first[1]}\n" for n, t in sorted(names)
                                         if not n.startswith("01")))
    hsa = sorted(genes.get("hsa", set()), key=lambda g: int(g.split(":")[1]))
    emit("list_hsa.txt", "".join(
        f"{g}\tCDS\t{1 + int(g.split(':')[1]) % 22}:{int(g.split(':')[1]) * 1000}..{int(g.split(':')[1]) * 1000 + 2400}"
        f"\tG{g.split(':')[1]}, GENE{g.split(':')[1]}; sample protein {g.split(':')[1]}\n" for g in hsa))
    mja = sorted(genes.get("mja", set()) | {_gene(ORGANISMS[1], n) for n in range(1, 6)})
    emit("list_mja.txt", "".join(f"{g}\t{'mcrA; ' if n == 0 else ''}methyl-coenzyme M reductase subunit {n}\n"
                                 for n, g in enumerate(mja)))
    members = dict((n, m) for n, _, m in OVERVIEWS)["01220"]
    emit("link_pathway_map01220.txt", "".join(f"path:map01220\tpath:{m}\n" for m in members))
    # KO and EC members of the maps, as the organisms chain reads them (astrobuild.sample.community)
    emit("link_pathway_ko.txt", link_text("ko", {p: REACTIONS[p] for p in catalogue}))
    emit("link_pathway_ec.txt", link_text("ec", {p: REACTIONS[p] for p in catalogue}))
    emit("link_module_pathway.txt", "".join(f"path:{p}\tmd:M{(int(p[3:]) + j * 3) % 1000:05d}\n"
                                            for p in catalogue[:8] for j in range(2)))
    return written
