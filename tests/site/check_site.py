#!/usr/bin/python3
"""check_site.py - checks a public site built by np-admin site build, in TAP.

    check_site.py SITE --private WORD... [--expect-escaped TEXT]

Every HTML page parses with html5lib in strict mode (Debian python3-html5lib);
every JSON-LD block parses and has the properties its type requires; every
Atom feed has what RFC 4287 requires; the sitemap is well-formed; each
datapackage.json names files that exist, with CSV headers equal to its schema
fields and GeoJSON that holds the province's polygon; each photo's bytes are
the image type its extension says; and no file holds any of the private
words (usernames, DM and report texts of the fixture)."""
import csv
import glob
import io
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

import html5lib

ATOM = "{http://www.w3.org/2005/Atom}"
REQUIRED = {
    "Product": ["name", "url"],
    "TouristAttraction": ["name", "url", "address"],
    "Article": ["headline", "url", "datePublished", "author"],
    "Event": ["name", "startDate", "location"],
    "SpecialAnnouncement": ["name", "text", "datePosted", "spatialCoverage"],
}
n = 0
failed = 0


def tap(ok, what, why=""):
    global n, failed
    n += 1
    if not ok:
        failed += 1
        print("not ok %d - %s" % (n, what))
        for line in str(why).splitlines()[:10]:
            print("#   " + line)
    else:
        print("ok %d - %s" % (n, what))


def files(site, pattern):
    return sorted(glob.glob(os.path.join(site, pattern), recursive=True))


def check_html(site):
    bad = []
    pages = files(site, "**/*.html")
    for p in pages:
        try:
            parser = html5lib.HTMLParser(strict=True)
            parser.parse(open(p, "rb").read())
        except Exception as e:  # html5lib raises ParseError with the position
            bad.append("%s: %s" % (p, e))
    tap(pages and not bad, "every HTML page (%d) parses strictly as HTML5" % len(pages),
        "\n".join(bad))
    return pages


def check_jsonld(pages):
    bad, types = [], {}
    for p in pages:
        text = open(p, encoding="utf-8").read()
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text,
                                re.S):
            try:
                doc = json.loads(block)
            except ValueError as e:
                bad.append("%s: %s" % (p, e))
                continue
            if doc.get("@context") != "https://schema.org":
                bad.append("%s: @context %r" % (p, doc.get("@context")))
            for item in doc.get("@graph", []):
                t = item.get("@type")
                types[t] = types.get(t, 0) + 1
                missing = [k for k in REQUIRED.get(t, ["?"]) if not item.get(k)]
                if t == "Product" and "offers" in item:
                    o = item["offers"]
                    if not (o.get("price") and o.get("priceCurrency") == "THB"):
                        missing.append("offers.price/priceCurrency")
                if missing:
                    bad.append("%s: %s lacks %s" % (p, t, missing))
    tap(types and not bad, "JSON-LD parses, with the required properties %s" % types,
        "\n".join(bad))
    return types


def check_atom(site):
    bad = []
    feeds = files(site, "**/*.atom")
    for f in feeds:
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            bad.append("%s: %s" % (f, e))
            continue
        if root.tag != ATOM + "feed":
            bad.append("%s: root %s" % (f, root.tag))
        for k in ("id", "title", "updated", "author"):
            if root.find(ATOM + k) is None:
                bad.append("%s: feed without %s" % (f, k))
        if not any(l.get("rel") == "self" for l in root.findall(ATOM + "link")):
            bad.append("%s: no rel=self link" % f)
        for e in root.findall(ATOM + "entry"):
            for k in ("id", "title", "updated"):
                if e.find(ATOM + k) is None or not (e.find(ATOM + k).text or "").strip():
                    bad.append("%s: entry without %s" % (f, k))
            if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
                            e.find(ATOM + "updated").text or ""):
                bad.append("%s: updated not RFC 3339" % f)
            # RFC 4287 4.1.1: content, or a link rel=alternate to it
            if e.find(ATOM + "content") is None and not any(
                    l.get("rel") == "alternate" for l in e.findall(ATOM + "link")):
                bad.append("%s: entry with neither content nor an alternate link" % f)
    tap(len(feeds) >= 2 and not bad, "every Atom feed (%d) has RFC 4287's elements" % len(feeds),
        "\n".join(bad))
    try:
        root = ET.parse(os.path.join(site, "sitemap.xml")).getroot()
        locs = [l.text for l in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
        tap(len(locs) > 0 and all(l.startswith("http") for l in locs),
            "sitemap.xml lists %d absolute URLs" % len(locs))
    except (OSError, ET.ParseError) as e:
        tap(False, "sitemap.xml parses", e)


def check_datapackages(site):
    bad, count = [], 0
    for dp in files(site, "data/*/datapackage.json"):
        count += 1
        d = os.path.dirname(dp)
        pkg = json.load(open(dp, encoding="utf-8"))
        if not pkg.get("name") or not pkg.get("licenses") or not pkg.get("resources"):
            bad.append("%s: name, licenses or resources missing" % dp)
        for r in pkg.get("resources", []):
            path = os.path.join(d, r.get("path", ""))
            if not r.get("name") or not os.path.isfile(path) or not r.get("licenses"):
                bad.append("%s: resource %r: no name, file or license" % (dp, r.get("path")))
                continue
            if r.get("format") == "csv":
                text = open(path, encoding="utf-8", newline="").read()
                rows = list(csv.reader(io.StringIO(text)))
                fields = [f["name"] for f in r["schema"]["fields"]]
                if not rows or rows[0] != fields:
                    bad.append("%s: header %r is not the schema's %r" % (path, rows[:1], fields))
                if any(len(row) != len(fields) for row in rows):
                    bad.append("%s: a row has another number of cells" % path)
            else:
                g = json.load(open(path, encoding="utf-8"))
                geo = g["features"][0]["geometry"] if g.get("features") else None
                if g.get("type") != "FeatureCollection" or not geo \
                        or geo["type"] not in ("Polygon", "MultiPolygon") \
                        or "Natural Earth" not in g.get("attribution", ""):
                    bad.append("%s: not the province's polygon with its attribution" % path)
        for lic in pkg.get("licenses", []):
            if lic.get("path", "").startswith("../") and \
                    not os.path.exists(os.path.join(d, lic["path"])):
                bad.append("%s: license file %s missing" % (dp, lic["path"]))
    tap(count > 0 and not bad, "every datapackage.json (%d) is valid" % count, "\n".join(bad))


def check_photos(site):
    magic = {"jpg": [b"\xff\xd8\xff"], "png": [b"\x89PNG\r\n\x1a\n"], "webp": [b"RIFF"]}
    bad = []
    photos = files(site, "photo/*")
    for p in photos:
        ext = p.rsplit(".", 1)[-1]
        head = open(p, "rb").read(12)
        if ext not in magic or not any(head.startswith(m) for m in magic[ext]) \
                or (ext == "webp" and head[8:12] != b"WEBP"):
            bad.append(p)
    tap(photos and not bad, "every photo file (%d) is the image its name says" % len(photos),
        "\n".join(bad))


def check_private(site, words):
    hits = []
    everything = [p for p in files(site, "**/*") if os.path.isfile(p)]
    everything += [p for p in files(site, "**/.*") if os.path.isfile(p)]
    for p in everything:
        data = open(p, "rb").read()
        for w in words:
            if w.encode() in data:
                hits.append("%s holds %r" % (p, w))
    tap(not hits, "no file of %d holds any of %d private words" % (len(everything), len(words)),
        "\n".join(hits))


def main():
    args = sys.argv[1:]
    site = args.pop(0)
    words, escaped = [], None
    while args:
        a = args.pop(0)
        if a == "--expect-escaped":
            escaped = args.pop(0)
        elif a == "--private":
            while args and not args[0].startswith("--"):
                words.append(args.pop(0))
    pages = check_html(site)
    check_jsonld(pages)
    check_atom(site)
    check_datapackages(site)
    check_photos(site)
    check_private(site, words)
    if escaped is not None:
        raw = [p for p in pages if escaped.encode() in open(p, "rb").read()]
        shown = [p for p in pages if escaped.replace("<", "&lt;").replace(">", "&gt;").encode()
                 in open(p, "rb").read()]
        tap(not raw and shown, "%r is shown as text (%d pages), never as markup" %
            (escaped, len(shown)), "raw in: %s" % raw)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
