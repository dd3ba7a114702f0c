"""The multi-modal classifier: one encoder per modality, fused with missing-modality masking.

* climate: per-cell layers (1x1x1 convolutions, variables x layers as channels, each
  with its valid-share mask channel),
  then the area-weighted mean (each latitude band by its area) and the max over
  time, lat and lon (see :class:`ClimateEncoder` for why);
* bio_graph: message passing over ``edge_index`` in plain PyTorch: node
  embeddings of the compound vocabulary, then ``graph_layers`` rounds of
  h <- GELU(W_self h + W_in mean(in-neighbours) + W_out mean(out-neighbours)),
  read out by mean and max per graph with ``batch``, joined with the graph features;
* spectrum: a 1-D CNN over wavelength with the coverage mask and the bin's position
  as input channels, read out by masked mean and max and per bin (masked bins never
  reach the readout; see :class:`SpectrumEncoder` for why position matters);
* planet_params: an MLP over the standardised values and their present mask.

Why plain PyTorch for the graph, not PyTorch Geometric: the needed operations are
mean aggregations (sparse mean operators built once per batch, one sparse-dense
product each) and a scatter-max (``scatter_reduce``), a few lines; PyG and its compiled extensions are pinned to exact torch/CUDA builds and
not installed here, and the same code now runs on every device torch supports.

Scoring (:meth:`MultiModalNet.score`, rule ``predict``) runs the climate and graph encoders in
another arrangement of the same arithmetic (their ``infer``), equal to ``forward`` to float
rounding (tested) and about twice as fast on the CPU (benchmarks/bench_predict.py); training keeps
``forward``, whose figures are on record.

Fusion: each encoder gives a ``hidden`` vector; where a run lacks the modality it
is replaced by a learned per-modality "missing" vector, and the presence flags
are appended, so the head knows what it did not see. Concatenation, then a
two-layer MLP head to one logit.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

# What the climate encoder reads per variable and layer, in channel order.
CLIMATE_INPUTS = ("value", "valid_share")


def _mlp(n_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.GELU(), nn.Linear(hidden, hidden))


class Encoder(nn.Module):
    """One modality's encoder. ``infer`` is its scoring path (no gradients): ``forward`` unless a
    subclass has a faster arrangement of the same arithmetic."""

    def infer(self, *inputs: Any) -> torch.Tensor:
        return self(*inputs)


class ClimateEncoder(Encoder):
    """Per-cell features, then their area-weighted mean and their max over the cube.

    Input: the standardised values and, as as many channels again, each cell's valid share
    (``climate_valid``): a cell without data is 0 after standardisation, which is also the
    mean, so without the mask the model could not tell "average" from "unknown".

    The cell layers are pointwise (1x1x1 convolutions over variables x layers): what
    a climate decides about a planet is mostly a share of its surface in some state
    (temperatures between freezing and boiling, say), which is a per-cell test
    averaged by *area*. Equal-angle cells near a pole are a fraction of those at the
    equator (sin(lat) between their edges), so the mean weighs each latitude band by
    its area; an unweighted mean over cells would count the poles several times over.
    """

    def __init__(self, n_vars: int, n_lev: int, hidden: int, inputs: int = 2):
        super().__init__()
        channels = max(16, hidden)
        self.cells = nn.Sequential(
            nn.Conv3d(inputs * n_vars * n_lev, channels, 1), nn.GELU(),
            nn.Conv3d(channels, channels, 1), nn.GELU())
        self.out = nn.Linear(2 * channels, hidden)

    @staticmethod
    def band_areas(n_lat: int, device: torch.device) -> torch.Tensor:
        """[n_lat] area share of each equal-angle band of -90..90 (the learn.climate target grid)."""
        edges = torch.sin(torch.deg2rad(torch.linspace(-90.0, 90.0, n_lat + 1, device=device)))
        return (edges[1:] - edges[:-1]) / 2.0

    def forward(self, cube: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        # the valid share rides along as channels: a cell without data reads 0, and the mask says why
        cube = torch.cat([cube, valid.to(cube.dtype)], dim=1)
        b, v, t, la, lo, lev = cube.shape
        x = cube.permute(0, 1, 5, 2, 3, 4).reshape(b, v * lev, t, la, lo)  # layers become channels
        h = self.cells(x)  # [b, c, t, la, lo]
        area = self.band_areas(la, h.device).to(h.dtype).view(1, 1, 1, la, 1)
        mean = (h * area).sum(dim=(2, 3, 4)) / (t * lo)
        return self.out(torch.cat([mean, h.flatten(2).amax(-1)], dim=1))

    def infer(self, cube: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``forward`` with the cells channel-last: each 1x1x1 convolution is then one matrix product
        over [cells, channels] (Conv3d on the CPU reorders the cube around its kernel), and the
        area-weighted mean one product with the cells' weights."""
        cube = torch.cat([cube, valid.to(cube.dtype)], dim=1)
        b, v, t, la, lo, lev = cube.shape
        x = cube.permute(0, 2, 3, 4, 1, 5).reshape(b, t * la * lo, v * lev)  # channel v * lev + l, as forward's
        first, second = self.cells[0], self.cells[2]
        h = F.gelu(F.linear(x, first.weight.flatten(1), first.bias))
        h = F.gelu(F.linear(h, second.weight.flatten(1), second.bias))  # [b, cells, c]
        area = self.band_areas(la, h.device).to(h.dtype).view(1, la, 1).expand(t, la, lo).reshape(-1)
        mean = torch.matmul(area / (t * lo), h)  # [cells] @ [b, cells, c]: one product, no copy of h
        return self.out(torch.cat([mean, h.amax(1)], dim=1))


def _mean_operator(rows: torch.Tensor, cols: torch.Tensor, n_rows: int, n_cols: int) -> torch.Tensor:
    """Sparse (coalesced COO) [n_rows, n_cols] whose product with ``h`` [n_cols, d] is, per row r, the mean of
    ``h[cols[k]]`` over the pairs k with ``rows[k] == r`` (0 where there is none).

    Built once per batch and reused by every layer: one sparse-dense product per aggregation
    instead of two ``index_add_`` calls (a sorted, slow path when deterministic algorithms are on),
    and float32 whatever the autocast dtype: bf16 counts are exact only up to 256 and hub
    compounds have more neighbours.
    """
    count = torch.zeros(n_rows, dtype=torch.float32, device=rows.device)
    count.index_add_(0, rows, torch.ones_like(rows, dtype=torch.float32))
    values = 1.0 / count.clamp(min=1)[rows]
    coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (n_rows, n_cols), check_invariants=False)
    return coo.coalesce()


def _apply(operator: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    with torch.autocast(h.device.type, enabled=False):
        return (operator @ h.float()).to(h.dtype)


def _mean_rows(rows: torch.Tensor, cols: torch.Tensor, n: int) -> torch.Tensor:
    """:func:`_mean_operator` ([n, n]) in CSR form, made by one stable sort of ``rows`` (no coalescing)."""
    order = torch.argsort(rows, stable=True)
    counts = torch.bincount(rows, minlength=n)
    crow = torch.zeros(n + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(counts, 0)
    values = (1.0 / counts.clamp(min=1).to(torch.float32))[rows[order]]
    with warnings.catch_warnings():  # torch flags CSR as "beta" on every first use; the product is tested here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
        return torch.sparse_csr_tensor(crow, cols[order], values, (n, n), check_invariants=False)


class GraphEncoder(Encoder):
    def __init__(self, vocabulary: int, n_features: int, hidden: int, layers: int):
        super().__init__()
        self.embed = nn.Embedding(max(1, vocabulary), hidden)
        self.layers = nn.ModuleList(nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
                                    for _ in range(layers))
        self.out = _mlp(2 * hidden + n_features, hidden)

    def forward(self, graph: dict[str, Any]) -> torch.Tensor:
        x, edge_index, owner = graph["x"], graph["edge_index"], graph["batch"]
        n_graphs = graph["features"].shape[0]
        h = self.embed(x)
        n = h.shape[0]
        src, dst = edge_index[0], edge_index[1]
        into = _mean_operator(dst, src, n, n)  # what flows into a node
        out_of = _mean_operator(src, dst, n, n)  # what a node flows to
        for w_self, w_in, w_out in self.layers:
            h = nn.functional.gelu(w_self(h) + w_in(_apply(into, h)) + w_out(_apply(out_of, h)))
        mean = _apply(_mean_operator(owner, torch.arange(n, device=h.device), n_graphs, n), h)
        # max over an empty graph would be -inf: start at 0 (h after GELU is >= -0.17 anyway)
        peak = torch.zeros(n_graphs, h.shape[1], dtype=h.dtype, device=h.device)
        peak = peak.scatter_reduce(0, owner.unsqueeze(1).expand_as(h), h, reduce="amax", include_self=True)
        return self.out(torch.cat([mean, peak, graph["features"].to(h.dtype)], dim=1))

    def infer(self, graph: dict[str, Any]) -> torch.Tensor:
        """``forward`` with each round's three projections as one matrix product, the neighbours' means
        taken after projecting (a mean commutes with a linear map; an empty row gives the bias alone
        both ways) by CSR operators added onto it, and the readout's mean by ``index_add_`` instead of
        a sparse operator."""
        x, edge_index, owner = graph["x"], graph["edge_index"], graph["batch"]
        n_graphs, n = graph["features"].shape[0], graph["x"].shape[0]
        src, dst = edge_index[0], edge_index[1]
        into, out_of = _mean_rows(dst, src, n), _mean_rows(src, dst, n)
        h = self.embed(x)
        d = h.shape[1]
        for w_self, w_in, w_out in self.layers:
            p = h @ torch.cat([w_self.weight, w_in.weight, w_out.weight]).t()
            base = p[:, :d] + (w_self.bias + w_in.bias + w_out.bias)
            h = F.gelu(torch.addmm(torch.addmm(base, into, p[:, d:2 * d]), out_of, p[:, 2 * d:]))
        counts = torch.bincount(owner, minlength=n_graphs).clamp(min=1).to(h.dtype)
        mean = torch.zeros(n_graphs, d, dtype=h.dtype, device=h.device).index_add_(0, owner, h) / counts[:, None]
        peak = torch.zeros(n_graphs, d, dtype=h.dtype, device=h.device)
        peak = peak.scatter_reduce(0, owner.unsqueeze(1).expand_as(h), h, reduce="amax", include_self=True)
        return self.out(torch.cat([mean, peak, graph["features"].to(h.dtype)], dim=1))


class SpectrumEncoder(Encoder):
    """A 1-D CNN over the common wavelength grid that knows *where* on it each bin lies.

    Convolutions and a global pooling alone are blind to position: a band of 2-5 % at 1.7 um (CH4)
    and one at 4.3 um (CO2, in every spectrum) look the same to them, so the encoder could tell that
    a spectrum has a band but not which molecule's. The grid is fixed by the config (``bins`` equal
    steps in log wavelength, :func:`astrobuild.features.spectra.grid_edges`), so the bin's position
    is an input channel (-1 at the blue end, +1 at the red), and besides the masked mean and max a
    per-bin readout (a few channels per bin, flattened) lets the head weigh each wavelength on its own.
    """

    READOUT_CHANNELS = 4

    def __init__(self, n_features: int, hidden: int, bins: int):
        super().__init__()
        channels = max(8, hidden // 2)
        self.conv = nn.Sequential(nn.Conv1d(n_features + 2, channels, 5, padding=2), nn.GELU(),
                                  nn.Conv1d(channels, channels, 5, padding=2), nn.GELU())
        self.per_bin = nn.Conv1d(channels, self.READOUT_CHANNELS, 1)
        self.register_buffer("position", torch.linspace(-1.0, 1.0, bins).view(1, 1, bins), persistent=False)
        self.out = nn.Linear(2 * channels + self.READOUT_CHANNELS * bins, hidden)

    def forward(self, spectrum: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(spectrum.dtype).unsqueeze(1)  # [B, 1, W]
        where = self.position.to(spectrum.dtype).expand(spectrum.shape[0], 1, -1)
        h = self.conv(torch.cat([spectrum.transpose(1, 2) * m, m, where], dim=1))
        mean = (h * m).sum(-1) / m.sum(-1).clamp(min=1)
        peak = h.masked_fill(m == 0, -1e4).amax(-1).clamp(min=-1e3) * (m.sum(-1) > 0)
        per_bin = (self.per_bin(h) * m).flatten(1)  # masked bins give 0, as the mask says
        return self.out(torch.cat([mean, peak, per_bin], dim=1))


class ParamsEncoder(Encoder):
    def __init__(self, n_params: int, hidden: int):
        super().__init__()
        self.mlp = _mlp(2 * n_params, hidden)

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([values, mask.to(values.dtype)], dim=1))


class MultiModalNet(nn.Module):
    """``forward(batch)`` -> logits [B] (or [B, classes]); built from :func:`model_spec` so a checkpoint can rebuild it."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.spec = dict(spec)
        hidden = spec["hidden"]
        self.modalities = tuple(spec["modalities"])
        encoders: dict[str, nn.Module] = {}
        if "climate" in self.modalities:
            encoders["climate"] = ClimateEncoder(spec["climate_vars"], spec["climate_lev"], hidden,
                                                 len(spec["climate_inputs"]))
        if "bio_graph" in self.modalities:
            encoders["bio_graph"] = GraphEncoder(spec["vocabulary"], spec["graph_features"], hidden,
                                                 spec["graph_layers"])
        if "spectrum" in self.modalities:
            encoders["spectrum"] = SpectrumEncoder(spec["spectrum_features"], hidden, spec["spectrum_bins"])
        if "planet_params" in self.modalities:
            encoders["planet_params"] = ParamsEncoder(spec["n_params"], hidden)
        self.encoders = nn.ModuleDict(encoders)
        self.missing = nn.Parameter(torch.zeros(len(self.modalities), hidden))
        n = len(self.modalities)
        # one logit (binary), one per class (multiclass) or one value (regression): astrobuild.learn.tasks
        self.outputs = int(spec.get("outputs", 1))
        self.head = nn.Sequential(nn.Linear(n * hidden + n, hidden), nn.GELU(), nn.Dropout(0.1),
                                  nn.Linear(hidden, self.outputs))

    # what each encoder reads from a batch
    INPUTS = {"climate": ("climate_cube", "climate_valid"), "bio_graph": ("bio_graph",),
              "spectrum": ("spectrum", "spectrum_mask"), "planet_params": ("planet_params", "planet_params_mask")}

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        return self._fuse(batch, scoring=False)

    @torch.inference_mode()
    def score(self, batch: dict[str, Any]) -> torch.Tensor:
        """``forward``'s outputs (to float rounding) through the encoders' ``infer``; no gradients, in eval
        mode: rule predict's path."""
        if self.training:
            raise RuntimeError("MultiModalNet.score scores a trained model: call .eval() first (dropout is on)")
        return self._fuse(batch, scoring=True)

    def _fuse(self, batch: dict[str, Any], scoring: bool) -> torch.Tensor:
        present = batch["present"]
        parts = []
        for i, modality in enumerate(self.modalities):
            enc = self.encoders[modality]
            inputs = [batch[key] for key in self.INPUTS[modality]]
            z = enc.infer(*inputs) if scoring else enc(*inputs)
            here = present[:, i:i + 1]
            parts.append(torch.where(here, z, self.missing[i].to(z.dtype).expand_as(z)))
        fused = torch.cat([*parts, present.to(parts[0].dtype)], dim=1)
        out = self.head(fused)
        return out.squeeze(1) if self.outputs == 1 else out


def model_spec(config, n_vocabulary: int, outputs: int = 1) -> dict[str, Any]:
    """The shape facts a :class:`MultiModalNet` is built from (stored in the checkpoint)."""
    from astrobuild.features.graphs import GRAPH_FEATURES
    from astrobuild.features.spectra import SPECTRUM_FEATURES

    return {"modalities": list(config.modalities), "hidden": config.hidden, "graph_layers": config.graph_layers,
            "climate_vars": len(config.climate.variables), "climate_lev": config.climate.lev,
            "climate_inputs": list(CLIMATE_INPUTS),
            "vocabulary": int(n_vocabulary), "graph_features": len(GRAPH_FEATURES),
            "spectrum_features": len(SPECTRUM_FEATURES), "spectrum_bins": config.spectrum.bins,
            "n_params": len(config.param_columns), "outputs": int(outputs)}
