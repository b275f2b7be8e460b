"""The NumPy yardstick of `usm bench --only sim`: usm's exposure process, vectorised in NumPy.

Issue 3 compares the simulator with "a vectorised NumPy generator of a simpler process (no
ranking)" that made ~4.5 M exposures/s on two cores. This is such a generator, written to be run
beside `usm bench` at the same hour, so that the two are compared on the same machine state:

- `--candidates 8`: no choice of videos, each request's 8 drawn by popularity (an alias table);
- `--candidates 48`: usm's default feed, 48 recalled, scored (taste dot product, the video's feed
  terms, normal noise), repeats dropped, the top 8 shown in score order;
- `--no-records`: stop after the dice, without assembling the 37-field exposure records.

Per exposure it computes the truth (six issue sigmoids, P(inappropriate), P(like), P(dislike)),
rolls the latent answers, the behaviours, the watch fraction, the survey and the response, and
keeps each user's running submit count. Simpler than usm's: no per-user survey cap and no churn
(both sequential), and its parameters have usm's shapes, not its exact values. The sizes are
`usm bench --only sim`'s: 200k users, 4 days, 8,000 videos, 8 topic dimensions, 1.5 requests a
user a day. One process a core, each over a share of the users (NumPy runs on one core).

    python3 -m venv /tmp/np && /tmp/np/bin/pip install numpy
    /tmp/np/bin/python sim/benches/numpy_reference.py --candidates 48 --processes 2
"""

import argparse
import itertools
import multiprocessing as mp
import time

import numpy as np

USERS, DAYS, ITEMS, DIM, K, ISSUES = 200_000, 4, 8_000, 8, 8, 6
REQUESTS_PER_DAY, BLOCK = 1.5, 16_384

RECORD = np.dtype(
    [
        ("exposure_id", "u8"),
        ("day", "u4"),
        ("request", "u4"),
        ("slot", "u1"),
        ("hour", "u1"),
        ("user_id", "u4"),
        ("item_id", "u4"),
        ("author_id", "u4"),
        ("user_age", "u1"),
        ("user_activity", "f4"),
        ("user_history_submits", "u4"),
        ("item_category", "u4"),
        ("item_log_popularity", "f4"),
        ("item_quality_signal", "f4"),
        ("item_log_duration", "f4"),
        ("item_risk_signal", "f4"),
        ("like", "?"),
        ("share", "?"),
        ("favorite", "?"),
        ("dislike", "?"),
        ("report", "?"),
        ("skip", "?"),
        ("watch_fraction", "f4"),
        ("survey", "u1"),
        ("panel", "?"),
        ("submitted", "?"),
        ("answer", "u1"),
        ("reasons", "u1"),
        ("p_like", "f4"),
        ("p_neutral", "f4"),
        ("p_dislike", "f4"),
        ("p_inappropriate", "f4"),
        ("p_issue", "f4", (ISSUES,)),
        ("p_submit", "f4", (2,)),
        ("latent_satisfaction", "u1"),
        ("latent_inappropriate", "u1"),
        ("latent_reasons", "u1"),
    ]
)


def alias_table(w):
    """Vose's alias table of weights `w`: (keep probability, alias) per cell."""
    n = len(w)
    p = w * n / w.sum()
    keep, alias = np.ones(n, np.float32), np.arange(n, dtype=np.uint32)
    small = [i for i in range(n) if p[i] < 1.0]
    large = [i for i in range(n) if p[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        keep[s], alias[s] = p[s], g
        p[g] -= 1.0 - p[s]
        (small if p[g] < 1.0 else large).append(g)
    return keep, alias


def population(seed):
    r = np.random.default_rng(seed)
    f32 = np.float32
    users = {
        "taste": r.standard_normal((USERS, DIM), f32),
        "e_sens": np.exp(-r.normal(0.0, 1.0, (USERS, ISSUES))).astype(f32),
        "activity": (REQUESTS_PER_DAY * np.exp(0.8 * r.standard_normal(USERS) - 0.32)),
        "activity_obs": r.standard_normal(USERS).astype(f32),
        "engagement": np.exp(0.5 * r.standard_normal(USERS) - 0.125).astype(f32),
        "e_unwilling": np.exp(-r.normal(-2.0, 1.0, USERS)).astype(f32),
        "age": r.integers(0, 5, USERS).astype(np.uint8),
    }
    log_pop = r.normal(0.0, 1.5, ITEMS).astype(f32)
    keep, alias = alias_table(0.1 / ITEMS + 0.9 * np.exp(log_pop) / np.exp(log_pop).sum())
    items = {
        "topic": r.standard_normal((ITEMS, DIM), f32),
        "e_issue": np.exp(-r.normal(-5.0, 1.5, (ITEMS, ISSUES))).astype(f32),
        "quality": r.standard_normal(ITEMS).astype(f32),
        "author": r.integers(0, 1_000, ITEMS).astype(np.uint32),
        "category": r.integers(0, 30, ITEMS).astype(np.uint32),
        "log_popularity": log_pop,
        "quality_signal": r.standard_normal(ITEMS).astype(f32),
        "log_duration": r.standard_normal(ITEMS).astype(f32),
        "risk_signal": r.random(ITEMS, f32),
        "feed": (0.5 * log_pop + 0.5 * r.standard_normal(ITEMS)).astype(f32),
        "keep": keep,
        "alias": alias,
    }
    return users, items


def block(users, items, r, day, lo, hi, submits, candidates, records):
    """The count of exposures of users `lo..hi` on `day`, their records built (unless not
    `records`) and dropped, as `usm bench` drops them; updates `submits` (per user)."""
    f32 = np.float32
    n_req = r.poisson(users["activity"][lo:hi])
    req_user = np.repeat(np.arange(lo, hi, dtype=np.uint32), n_req)
    starts = np.cumsum(n_req) - n_req
    hour = r.integers(0, 4, len(req_user)).astype(np.uint8)
    n = K * len(req_user)
    u = np.repeat(req_user, K)

    def recall(shape):
        """Videos by the alias table."""
        cell = r.integers(0, ITEMS, shape)
        return np.where(r.random(shape, f32) < items["keep"][cell], cell, items["alias"][cell])

    C = candidates
    if C == K:
        # Recall: eight videos, no ranking.
        it = recall(n)
        dot = np.einsum("ij,ij->i", users["taste"][u], items["topic"][it]) / np.sqrt(f32(DIM))
    else:
        # Recall C candidates a request, score them, drop repeats, show the top K by score.
        R = len(req_user)
        cand = recall((R, C))
        taste = users["taste"][req_user][:, :, None]
        cdot = (items["topic"][cand] @ taste)[..., 0] / np.sqrt(f32(DIM))
        score = cdot + items["feed"][cand] + 0.5 * r.standard_normal((R, C), f32)
        bits = score.view(np.uint32)
        ordered = bits ^ ((bits.view(np.int32) >> 31).view(np.uint32) | np.uint32(0x80000000))
        key = (cand.astype(np.uint64) << np.uint64(32)) | (~ordered).astype(np.uint64)
        order = np.argsort(key, axis=1)
        s_item = np.take_along_axis(cand, order, 1)
        repeat = np.zeros((R, C), bool)
        repeat[:, 1:] = s_item[:, 1:] == s_item[:, :-1]
        np.put_along_axis(
            score, order, np.where(repeat, -np.inf, np.take_along_axis(score, order, 1)), 1
        )
        top = np.argpartition(-score, K - 1, axis=1)[:, :K]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(score, top, 1), axis=1), 1)
        it = np.take_along_axis(cand, top, 1).reshape(-1)
        dot = np.take_along_axis(cdot, top, 1).reshape(-1)
    # Truth.
    p = 1.0 / (1.0 + items["e_issue"][it] * users["e_sens"][u])
    p_inapp = 1.0 - np.prod(1.0 - p[:, :5], axis=1)
    v = 1.2 * dot + items["quality"][it] - 3.0 * (p_inapp + p[:, 5])
    x = np.exp(f32(1.0) - v)
    p_like = 1.0 / (1.0 + x)
    p_dislike = x / (x + f32(np.exp(2.5)))
    # Dice: latent answers, behaviours, survey and response.
    d = r.random((10, n), f32)
    sat = (d[0] >= p_like).astype(np.uint8) + (d[0] >= 1.0 - p_dislike)
    hit = r.random((ISSUES, n), f32) < p.T
    reasons = (hit * (1 << np.arange(ISSUES, dtype=np.uint8))[:, None]).sum(0).astype(np.uint8)
    content = reasons & 0b11111
    adult_only = ((content & 0b10110) == 0) & (d[1] < 0.3)
    latent_inapp = np.where(content == 0, 0, np.where(adult_only, 1, 2)).astype(np.uint8)
    e = users["engagement"][u]
    liked, disliked, issue = sat == 0, sat == 2, content != 0
    like = d[2] < e * np.where(liked, 0.3, 0.02)
    share = liked & (d[3] < e * 0.05)
    favorite = liked & (d[4] < e * 0.05)
    dislike = d[5] < e * np.where(disliked, 0.1, np.where(issue, 0.15, 0.005))
    report = d[6] < e * np.where(issue, 0.05, 0.001)
    watch = np.clip(
        np.array([0.75, 0.5, 0.25], f32)[sat] + 0.15 * r.standard_normal(n, f32) - 0.25 * issue,
        0.0,
        1.0,
    )
    shown = d[7] < 1.5e-2
    satisfaction = d[8] < 0.5
    negative = np.where(satisfaction, disliked, latent_inapp != 0)
    t = np.array([[1.0, 0.7], [0.8, 0.6]], f32)[1 - satisfaction, negative.astype(np.int8)]
    p_submit = 1.0 / (1.0 + users["e_unwilling"][u] * t)
    submitted = shown & (d[9] < p_submit)
    # The running count of each user's submits before an exposure.
    done = np.cumsum(submitted, dtype=np.uint32) - submitted
    history = submits[u] + done - done[np.repeat(K * starts, K * n_req)]
    submits[lo:hi] += np.bincount(u - lo, weights=submitted, minlength=hi - lo).astype(np.uint32)
    if not records:
        return n
    # Records.
    rec = np.empty(n, RECORD)
    rec["exposure_id"] = (u.astype(np.uint64) << 24) + np.arange(n, dtype=np.uint64)
    rec["day"] = day
    req_index = np.arange(len(req_user)) - np.repeat(starts, n_req)
    rec["request"] = np.repeat(req_index, K)
    rec["slot"] = np.tile(np.arange(K, dtype=np.uint8), len(req_user))
    rec["hour"] = np.repeat(hour, K)
    rec["user_id"] = u
    rec["item_id"] = it
    rec["author_id"] = items["author"][it]
    rec["user_age"] = users["age"][u]
    rec["user_activity"] = users["activity_obs"][u]
    rec["user_history_submits"] = history
    rec["item_category"] = items["category"][it]
    for f in ("log_popularity", "quality_signal", "log_duration", "risk_signal"):
        rec["item_" + f] = items[f][it]
    rec["like"], rec["share"], rec["favorite"] = like, share, favorite
    rec["dislike"], rec["report"], rec["skip"] = dislike, report, watch < 0.2
    rec["watch_fraction"] = watch
    rec["survey"] = np.where(shown, np.where(satisfaction, 1, 2), 0)
    rec["panel"] = False
    rec["submitted"] = submitted
    rec["answer"] = np.where(submitted, np.where(satisfaction, sat, 3 + latent_inapp), 255)
    rec["reasons"] = np.where(submitted & ~satisfaction, reasons, 0)
    rec["p_like"], rec["p_dislike"], rec["p_inappropriate"] = p_like, p_dislike, p_inapp
    rec["p_neutral"] = np.maximum(1.0 - p_like - p_dislike, 0.0)
    rec["p_issue"] = p
    rec["p_submit"] = p_submit[:, None]
    rec["latent_satisfaction"], rec["latent_inappropriate"] = sat, latent_inapp
    rec["latent_reasons"] = np.where(content == 0, 0, reasons)
    return len(rec)


POP, START = None, None


def draw(seed, start):
    """Draws the population once a worker, before the clock starts."""
    global POP, START
    POP, START = population(seed), start


def run(args):
    """Simulates users `lo..hi` over all days, once every worker is ready: the exposure count
    and the start and end on the system's monotonic clock."""
    lo, hi, seed, candidates, records = args
    users, items = POP
    START.wait()
    t = time.monotonic()
    r = np.random.default_rng([seed, lo])
    submits = np.zeros(USERS, np.uint32)
    total = 0
    for day in range(DAYS):
        for b in range(lo, hi, BLOCK):
            end = min(b + BLOCK, hi)
            total += block(users, items, r, day, b, end, submits, candidates, records)
    return total, t, time.monotonic()


def timed(processes, candidates, records):
    """Exposures and seconds of a run over `processes` processes, the population drawn first."""
    cuts = np.linspace(0, USERS, processes + 1).astype(int)
    parts = [(int(a), int(b), 7, candidates, records) for a, b in itertools.pairwise(cuts)]
    # One task a worker: each waits at the barrier, so none can take a second.
    start = mp.Barrier(processes)
    with mp.Pool(processes, initializer=draw, initargs=(7, start)) as pool:
        done = pool.map(run, parts, chunksize=1)
    return sum(n for n, _, _ in done), max(e for _, _, e in done) - min(s for _, s, _ in done)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--candidates", type=int, default=K, help="recalled a request (8: no choice)")
    ap.add_argument("--no-records", action="store_true", help="skip assembling the records")
    ap.add_argument(
        "--processes", type=int, nargs="+", default=[1, 2], help="runs, by process count"
    )
    a = ap.parse_args()
    if a.candidates < K:
        ap.error(f"--candidates must be at least {K} (the slots of a request), not {a.candidates}")
    if min(a.processes) < 1:
        ap.error(f"--processes must each be at least 1, not {min(a.processes)}")
    for procs in a.processes:
        n, secs = timed(procs, a.candidates, not a.no_records)
        what = f"top-{K} of {a.candidates}" + (", no records" if a.no_records else "")
        print(
            f"numpy {what}, {procs} process(es): {n} exposures in {secs:.2f} s: "
            f"{n / secs / 1e6:.2f} M exposures/s"
        )
