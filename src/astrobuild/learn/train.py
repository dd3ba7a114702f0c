"""The training loop: seeded, early-stopped on validation loss, the same code on CPU and CUDA.

On CUDA the forward pass runs under bf16 autocast (no loss scaling needed,
unlike fp16) and batches come from pinned host memory with non-blocking
copies. On the CPU everything is float32 and deterministic: the seed fixes the
initial weights, the batch order (a seeded ``torch.Generator``) and dropout,
and ``torch.use_deterministic_algorithms`` is on while training, so two runs
give the same weights and metrics (tested). The best epoch (lowest validation
loss) is the model that is kept and evaluated; training stops after
``patience`` epochs without improvement.

Three regularisers, each a ``train`` key judged on the validation folds
(benchmarks/README.md has the figures): ``modality_dropout`` hides present
modalities of training runs at random (:func:`hide_modalities`), so the model
cannot lean on one and learns the "missing" vectors; ``lr_schedule: cosine``
(:func:`lr_factor`); ``grad_clip``, a bound on a step's gradient norm.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from astrobuild.learn.config import TrainConfig
from astrobuild.learn.dataset import collate, to_device
from astrobuild.learn.tasks import Task

log = logging.getLogger(__name__)


def resolve_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("train.device is cuda but torch sees no CUDA device (set train.device: auto or cpu)")
    if choice == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _worker_init(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset: Dataset, config: TrainConfig, device: torch.device, shuffle: bool,
                seed: int | None = None) -> DataLoader:
    generator = torch.Generator().manual_seed(config.seed if seed is None else seed) if shuffle else None
    return DataLoader(dataset, batch_size=config.batch_size, shuffle=shuffle, collate_fn=collate,
                      num_workers=config.num_workers, pin_memory=device.type == "cuda", generator=generator,
                      worker_init_fn=_worker_init if config.num_workers else None,
                      persistent_workers=config.num_workers > 0)


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.inference_mode()
def predict(model: torch.nn.Module, loader: DataLoader, device: torch.device,
            task: Task | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """(scores, encoded targets, run metadata) over a loader, in its order; scores as
    :meth:`~astrobuild.learn.tasks.Task.scores` gives them (default task: binary, P(label) and bool labels)."""
    task = task or Task()
    model.eval()
    scores, labels, meta = [], [], []
    for batch in loader:
        batch = to_device(batch, device)
        with _autocast(device):
            logits = model(batch)
        scores.append(task.scores(logits))
        labels.append(batch["label"].cpu().numpy())
        meta += batch["run_metadata"]
    if not scores:
        return np.zeros((0, task.outputs) if task.outputs > 1 else 0), np.zeros(0), []
    labels = np.concatenate(labels)
    return np.concatenate(scores).astype(np.float64), labels.astype(bool) if task.kind == "binary" else labels, meta


def hide_modalities(present: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """``present`` [B, M] with each True entry turned False with probability ``rate``, except that a
    run keeps at least one of its modalities (if every draw hid them all, the run is left whole):
    the model then has to answer from the others, and the "missing" vectors are trained."""
    if rate <= 0 or present.shape[1] < 2:
        return present
    drawn = torch.rand(present.shape, generator=generator) < rate
    hidden = present & drawn.to(present.device)
    kept = present & ~hidden
    return torch.where(kept.any(dim=1, keepdim=True), kept, present)


def lr_factor(step: int, steps_per_epoch: int, epochs: int, schedule: str) -> float:
    """The learning rate's multiplier at optimiser step ``step`` (0-based): 1 for ``constant``;
    ``cosine``: linear warm-up over the first epoch, then cosine decay to 0.01 at ``epochs``."""
    if schedule == "constant":
        return 1.0
    warmup = max(1, steps_per_epoch)
    if step < warmup:
        return (step + 1) / warmup
    total = max(warmup + 1, steps_per_epoch * epochs)
    progress = min(1.0, (step - warmup) / (total - warmup))
    return 0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * progress))


@dataclass
class FitResult:
    model: torch.nn.Module
    curves: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    stopped_early: bool = False


@contextlib.contextmanager
def _deterministic(device: torch.device):
    previous = torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def fit(model: torch.nn.Module, train_set: Dataset, val_set: Dataset, config: TrainConfig,
        device: torch.device, task: Task | None = None) -> FitResult:
    """Train ``model`` (already seeded and built) on ``train_set``; keep the epoch with the lowest val loss
    (the task's: :meth:`~astrobuild.learn.tasks.Task.monitor_loss`)."""
    task = task or Task()
    model.to(device)
    # foreach: one fused update over all parameters, not ~40 small kernels per step (the CPU default)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True)
    loss_fn = task.loss_fn()
    train_loader = make_loader(train_set, config, device, shuffle=True)
    val_loader = make_loader(val_set, config, device, shuffle=False)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: lr_factor(step, len(train_loader), config.epochs, config.lr_schedule))
    # the modality-dropout draws: their own seeded stream, so they do not shift the batch order
    hiding = torch.Generator().manual_seed(config.seed + 1)
    result = FitResult(model=model)
    best_loss, best_state, stale = float("inf"), None, 0
    with _deterministic(device):
        for epoch in range(1, config.epochs + 1):
            model.train()
            total, seen, scores, labels = 0.0, 0, [], []
            for batch in train_loader:
                batch = to_device(batch, device)
                batch["present"] = hide_modalities(batch["present"], config.modality_dropout, hiding)
                with _autocast(device):
                    logits = model(batch)
                loss = loss_fn(logits.float(), batch["label"])
                optimiser.zero_grad(set_to_none=True)
                (loss / len(batch["label"])).backward()
                if config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip, foreach=True)
                optimiser.step()
                schedule.step()
                total += float(loss.detach())
                seen += len(batch["label"])
                scores.append(task.scores(logits))
                labels.append(batch["label"].cpu().numpy())
            val_scores, val_labels, _ = predict(model, val_loader, device, task)
            val_loss = task.monitor_loss(val_labels, val_scores)
            train_auc = (task.curve_value(task.decode(np.concatenate(labels)), np.concatenate(scores))
                         if labels else None)
            val_auc = task.curve_value(task.decode(val_labels), val_scores) if len(val_labels) else None
            name = task.headline
            result.curves.append({
                "epoch": epoch, "train_loss": round(total / max(seen, 1), 6),
                "val_loss": None if val_loss is None else round(val_loss, 6),
                f"train_{name}": None if train_auc is None else round(train_auc, 6),
                f"val_{name}": None if val_auc is None else round(val_auc, 6)})
            log.info("epoch %d: train loss %.4f, val loss %s, val %s %s", epoch, total / max(seen, 1),
                     val_loss, name, val_auc)
            result.epochs_run = epoch
            monitored = val_loss if val_loss is not None else total / max(seen, 1)
            if monitored < best_loss - 1e-9:
                best_loss, stale, result.best_epoch = monitored, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if stale >= config.patience:
                    result.stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return result
