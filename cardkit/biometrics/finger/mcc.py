"""Minutia Cylinder-Code (MCC) with Local Similarity Sort and Relaxation (LSS-R).

R. Cappelli, M. Ferrara, D. Maltoni, "Minutia Cylinder-Code: a new representation and matching
technique for fingerprint recognition", IEEE TPAMI 32(12), 2010. Every parameter below is the
paper's (Table 1 and §5, the values it uses for FVC2006 at 500 ppi) — none was fitted to the FVC
sets cardkit is evaluated on.

Each minutia gets a cylinder: a 16×16 spatial grid of radius R around it, rotated to the minutia's
direction, with 6 direction bins; every cell accumulates Gaussian contributions of the nearby
minutiae (spatial × directional), squashed by a sigmoid. Two cylinders are compared on the cells
valid in both (normalised Euclidean distance). LSS-R takes the best-matching minutia pairs, lets
them reinforce each other when their relative geometry agrees (relaxation), and averages the
similarities of the most geometrically consistent pairs. The score is in [0, 1].
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .minutiae import FingerTemplate

TWO_PI = 2 * math.pi


@dataclass(frozen=True)
class MccParams:
    radius: float = 70.0  # R
    ns: int = 16  # cells per side
    nd: int = 6  # direction bins
    sigma_s: float = 28 / 3
    sigma_d: float = 2 * math.pi / 9
    mu_psi: float = 1 / 100
    tau_psi: float = 400.0
    omega: float = 50.0  # convex-hull enlargement (pixels)
    min_vc: float = 0.75  # minimum fraction of valid cells for a valid cylinder
    min_m: int = 2  # minimum contributing minutiae for a valid cylinder
    min_me: float = 0.60  # minimum fraction of matchable cells to compare two cylinders
    delta_theta: float = math.pi / 2  # maximum direction difference of matched minutiae
    # LSS / LSS-R
    min_np: int = 4
    max_np: int = 12
    mu_p: float = 20.0
    tau_p: float = 2 / 5
    n_rel: int = 5
    w_r: float = 0.5
    mu_1: float = 5.0
    tau_1: float = -8 / 5
    mu_2: float = math.pi / 12
    tau_2: float = -30.0
    mu_3: float = math.pi / 12
    tau_3: float = -30.0


PARAMS = MccParams()


@dataclass(frozen=True)
class Cylinders:
    """The valid cylinders of one template (arrays indexed by cylinder)."""

    values: np.ndarray  # (k, ns*ns*nd) float32, 0 in invalid cells
    cell_mask: np.ndarray  # (k, ns*ns) float32 1 = valid cell
    sq_by_cell: np.ndarray  # (k, ns*ns) float32 sum over direction bins of value²
    index: np.ndarray  # (k,) index of the minutia in the template
    xy: np.ndarray  # (k, 2)
    angle: np.ndarray  # (k,)

    def __len__(self) -> int:
        return len(self.index)


def _dphi(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Difference of two angles in (-π, π]."""
    d = np.asarray(a) - np.asarray(b)
    return (d + math.pi) % TWO_PI - math.pi


def _sigmoid(v: np.ndarray, mu: float, tau: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(-tau * (v - mu), -500.0, 500.0)))


@lru_cache(maxsize=4)
def _direction_table(sigma_d: float, delta_d: float) -> tuple[np.ndarray, np.ndarray]:
    """G_D(α): area of the N(0, σD) density over [α − ΔD/2, α + ΔD/2], tabulated on (-π, π]."""
    xs = np.linspace(-math.pi, math.pi, 2049)
    s2 = sigma_d * math.sqrt(2)
    ys = np.array([0.5 * (math.erf((x + delta_d / 2) / s2) - math.erf((x - delta_d / 2) / s2))
                   for x in xs])
    return xs, ys


def _hull_mask(xy: np.ndarray, points: np.ndarray, omega: float) -> np.ndarray:
    """True where `points` lie inside the convex hull of `xy` enlarged by omega."""
    import cv2

    if len(xy) < 3:
        d = np.linalg.norm(points[:, None, :] - xy[None, :, :], axis=2)
        return d.min(axis=1) <= omega
    hull = cv2.convexHull(xy.astype(np.float32)).reshape(-1, 2)
    # signed distance: positive inside, negative outside
    dist = np.array([cv2.pointPolygonTest(hull.reshape(-1, 1, 2), (float(p[0]), float(p[1])),
                                          True) for p in points])
    return dist >= -omega


def _hull_mask_fast(xy: np.ndarray, points: np.ndarray, omega: float) -> np.ndarray:
    """Vectorised convex-hull-plus-omega test (distance to each hull edge)."""
    import cv2

    if len(xy) < 3:
        return _hull_mask(xy, points, omega)
    hull = cv2.convexHull(xy.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    if len(hull) < 3:
        return _hull_mask(xy, points, omega)
    a = hull
    b = np.roll(hull, -1, axis=0)
    ab = b - a
    ap = points[:, None, :] - a[None, :, :]
    # cv2 hull is clockwise in image coordinates when returnPoints, orientation varies: use sign
    cross = ab[None, :, 0] * ap[:, :, 1] - ab[None, :, 1] * ap[:, :, 0]
    area2 = float(np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))
    inside = np.all(cross * np.sign(area2) >= 0, axis=1)
    t = np.clip(np.sum(ap * ab[None], axis=2) / np.maximum(np.sum(ab * ab, axis=1), 1e-9),
                0, 1)
    proj = a[None] + t[:, :, None] * ab[None]
    edge_d = np.linalg.norm(points[:, None, :] - proj, axis=2).min(axis=1)
    return inside | (edge_d <= omega)


def cylinders(tpl: FingerTemplate, p: MccParams = PARAMS) -> Cylinders:
    """The MCC cylinders of a template (cached on the template)."""
    cached = tpl.cache("mcc")
    if cached is not None:
        return cached  # type: ignore[return-value]
    cyl = build_cylinders(tpl.xy, tpl.angles, p)
    tpl.cache("mcc", cyl)  # type: ignore[arg-type]
    return cyl


def build_cylinders(xy: np.ndarray, ang: np.ndarray, p: MccParams = PARAMS) -> Cylinders:
    n = len(xy)
    ns, nd = p.ns, p.nd
    n_cells = ns * ns
    if n == 0:
        z = np.zeros((0, n_cells * nd), np.float32)
        return Cylinders(z, np.zeros((0, n_cells), np.float32), np.zeros((0, n_cells), np.float32),
                         np.zeros(0, int), np.zeros((0, 2)), np.zeros(0))
    delta_s = 2 * p.radius / ns
    delta_d = TWO_PI / nd
    idx = np.arange(1, ns + 1) - (ns + 1) / 2
    gi, gj = np.meshgrid(idx, idx, indexing="xy")  # gi: column offset (x), gj: row offset (y)
    offs = np.stack([gi.ravel(), gj.ravel()], axis=1) * delta_s  # (cells, 2) in local frame
    cos, sin = np.cos(ang), np.sin(ang)
    # cell centres: rotate the local grid by the minutia angle (image y points down; the angle is
    # counter-clockwise as seen, i.e. clockwise in (x, y-down) maths — use -angle there)
    cx = xy[:, 0:1] + offs[None, :, 0] * cos[:, None] + offs[None, :, 1] * sin[:, None]
    cy = xy[:, 1:2] - offs[None, :, 0] * sin[:, None] + offs[None, :, 1] * cos[:, None]
    centres = np.stack([cx, cy], axis=2)  # (n, cells, 2)
    in_radius = np.linalg.norm(offs, axis=1) <= p.radius  # (cells,)
    in_hull = _hull_mask_fast(xy, centres.reshape(-1, 2), p.omega).reshape(n, n_cells)
    valid_cell = in_hull & in_radius[None, :]
    # spatial contributions of minutia t to the cells of cylinder m
    d2 = ((centres[:, :, None, :] - xy[None, None, :, :]) ** 2).sum(axis=3)  # (n, cells, n)
    near = d2 <= (3 * p.sigma_s) ** 2
    eye = np.eye(n, dtype=bool)
    near &= ~eye[:, None, :]
    g_s = np.exp(-d2 / (2 * p.sigma_s ** 2)) / (p.sigma_s * math.sqrt(TWO_PI))
    g_s = np.where(near, g_s, 0.0)
    # directional contributions: area of the Gaussian over each bin
    dtheta = _dphi(ang[:, None], ang[None, :])  # (n m, n t): dφ(θm, θt)
    bins = -math.pi + (np.arange(nd) + 0.5) * delta_d
    diff = _dphi(bins[None, None, :], dtheta[:, :, None])  # (n, n, nd)
    g_d = np.interp(diff, *_direction_table(p.sigma_d, delta_d))
    acc = np.einsum("mct,mtd->mcd", g_s, g_d)  # (n, cells, nd)
    vals = _sigmoid(acc, p.mu_psi, p.tau_psi)
    # validity of the cylinder
    contributors = (d2 <= (p.radius + 3 * p.sigma_s) ** 2) & ~eye[:, None, :]
    n_contrib = contributors.any(axis=1).sum(axis=1)
    frac_valid = valid_cell.sum(axis=1) / in_radius.sum()
    keep = (frac_valid >= p.min_vc) & (n_contrib >= p.min_m)
    vals = vals * valid_cell[:, :, None]
    vals = vals[keep].reshape(-1, n_cells * nd).astype(np.float32)
    mask = valid_cell[keep].astype(np.float32)
    sq = (vals.reshape(-1, n_cells, nd) ** 2).sum(axis=2).astype(np.float32)
    index = np.nonzero(keep)[0]
    return Cylinders(vals, mask, sq, index, xy[keep], ang[keep])


@lru_cache(maxsize=1)
def _blas_controller() -> object | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is in the finger extra
        return None
    return ThreadpoolController()


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """These products are small (~50×1536): a multi-threaded BLAS only adds hand-over cost, and
    on a busy machine its spinning threads make a 0.5 ms product take 10–100 ms."""
    ctl = _blas_controller()
    if ctl is None:  # pragma: no cover
        return contextlib.nullcontext()
    return ctl.limit(limits=1, user_api="blas")  # type: ignore[attr-defined, no-any-return]


def local_similarities(a: Cylinders, b: Cylinders, p: MccParams = PARAMS) -> np.ndarray:
    """Γ: (len a, len b) cylinder similarities in [0, 1]."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)), np.float32)
    with _one_blas_thread():
        na2 = a.sq_by_cell @ b.cell_mask.T  # ||c_a|b||²
        nb2 = a.cell_mask @ b.sq_by_cell.T  # ||c_b|a||²
        dot = a.values @ b.values.T
        common = a.cell_mask @ b.cell_mask.T
    n_cells = a.cell_mask.shape[1]
    diff = np.sqrt(np.maximum(na2 + nb2 - 2 * dot, 0.0))
    denom = np.sqrt(na2) + np.sqrt(nb2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(denom > 0, 1.0 - diff / denom, 0.0)
    ok = common >= p.min_me * n_cells
    ok &= np.abs(_dphi(a.angle[:, None], b.angle[None, :])) <= p.delta_theta
    return np.where(ok, sim, 0.0).astype(np.float64)


def _n_pairs(na: int, nb: int, p: MccParams) -> int:
    z = 1.0 / (1.0 + math.exp(-p.tau_p * (min(na, nb) - p.mu_p)))
    return p.min_np + round(z * (p.max_np - p.min_np))


def _radial(ang: np.ndarray, xy: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """dR: the angle between minutia i's direction and the segment i → j."""
    dx = xy[j, 0] - xy[i, 0]
    dy = xy[j, 1] - xy[i, 1]
    return _dphi(ang[i], np.arctan2(-dy, dx))  # counter-clockwise as seen (y down)


def lss_r(gamma: np.ndarray, a: Cylinders, b: Cylinders, n_a: int, n_b: int,
          p: MccParams = PARAMS) -> float:
    """Global score from the local similarity matrix (LSS with relaxation)."""
    if gamma.size == 0:
        return 0.0
    n_p = _n_pairs(n_a, n_b, p)
    n_r = min(len(a), len(b))
    flat = np.argsort(gamma, axis=None)[::-1]
    # the n_R best pairs, each minutia used once (greedy in order of similarity)
    used_a: set[int] = set()
    used_b: set[int] = set()
    ia: list[int] = []
    ib: list[int] = []
    ncols = gamma.shape[1]
    for f in flat:
        r, c = divmod(int(f), ncols)
        if gamma[r, c] <= 0 or len(ia) >= n_r:
            break
        if r in used_a or c in used_b:
            continue
        used_a.add(r)
        used_b.add(c)
        ia.append(r)
        ib.append(c)
    k = len(ia)
    if k == 0:
        return 0.0
    ia_arr, ib_arr = np.array(ia), np.array(ib)
    lam0 = gamma[ia_arr, ib_arr]
    if k == 1:
        return float(lam0[0]) * min(1, k) / n_p
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    ai, aj = ia_arr[ii], ia_arr[jj]
    bi, bj = ib_arr[ii], ib_arr[jj]
    da = np.linalg.norm(a.xy[ai] - a.xy[aj], axis=2)
    db = np.linalg.norm(b.xy[bi] - b.xy[bj], axis=2)
    d1 = np.abs(da - db)
    d2 = np.abs(_dphi(_dphi(a.angle[ai], a.angle[aj]), _dphi(b.angle[bi], b.angle[bj])))
    d3 = np.abs(_dphi(_radial(a.angle, a.xy, ai, aj), _radial(b.angle, b.xy, bi, bj)))
    rho = (_sigmoid(d1, p.mu_1, p.tau_1) * _sigmoid(d2, p.mu_2, p.tau_2)
           * _sigmoid(d3, p.mu_3, p.tau_3))
    np.fill_diagonal(rho, 0.0)
    lam = lam0.copy()
    for _ in range(p.n_rel):
        lam = p.w_r * lam + (1 - p.w_r) * (rho @ lam) / (k - 1)
    eff = lam / np.maximum(lam0, 1e-12)
    top = np.argsort(eff)[::-1][:n_p]
    return float(lam[top].sum() / n_p) if len(top) else 0.0


def mcc_score(a: FingerTemplate, b: FingerTemplate, p: MccParams = PARAMS) -> float:
    """MCC similarity of two templates in [0, 1]."""
    ca, cb = cylinders(a, p), cylinders(b, p)
    gamma = local_similarities(ca, cb, p)
    return lss_r(gamma, ca, cb, len(a), len(b), p)


def fused_score(a: FingerTemplate, a_enhanced: FingerTemplate, b: FingerTemplate,
                b_enhanced: FingerTemplate, p: MccParams = PARAMS) -> float:
    """MCC fused over two extractors: the mean of the MCC scores on the raw image's minutiae
    and on the Gabor-enhanced image's (`extract.extract_enhanced`), in [0, 1]. The two sets err
    on different prints (measured: bench/finger_bench.py, README)."""
    return (mcc_score(a, b, p) + mcc_score(a_enhanced, b_enhanced, p)) / 2
