"""A max pooling right after a relu that only it reads takes the relu's backward along,
and in inference may run in one pass with the layer below.

A max pooling routes each window's gradient to the window's largest input. When that input
is a relu's output `y = relu(z)`, the relu's backward multiplies by `y > 0`, and at the cell
that won, `y` is the window's maximum: so the mask is `maximum > 0`, known on the pooling's
output side, a quarter of the size for a 2x2 pooling. `Model.backward` then asks the pooling
for dL/dz (`backward_through_relu`) and starts the layer below at its pre-activation
(`backward_from_preactivation`, as after a fused softmax + cross-entropy), skipping its relu
backward: one pass over the largest activation of a typical convnet. Cells that won nothing
get zero either way, so the gradients are the same (for finite values).

Measured on the Keras MNIST convnet, batch 128 (Intel Xeon Sapphire Rapids, 2 threads): the
training step went from 31.7 to 27.8 ms.

In inference (`predict`, `evaluate`) a pair whose lower layer has `forward_pooled` (Conv2D)
may compute the pooled output in one pass, never writing the full-size activation: the
first conv and pooling of the Keras MNIST convnet took 1.04 ms that way against 1.77 ms.

A Conv2D below a tiled pooling computes only the outputs the pooling's windows read
(`forward_read_by`; in inference inside `forward_pooled`): an odd-sized output's last row
and column are read by no window and get no gradient. The Keras MNIST convnet's second conv
then computes 10x10 of its 11x11 outputs: training step 24.4 -> 21.5 ms at batch 128 on
the upscaled digits (five alternating epochs each), predict 5.15 -> 4.55 ms per 128 (Intel
Xeon Sapphire Rapids, 2 threads). Gradients agree to float32
rounding (the weight gradient sums over fewer positions).
"""

from collections import Counter


def relu_pool_pairs(plan, output_names) -> dict:
    """`{pooling node: relu node}` for the pairs `Model.backward` may take together.

    A pair is a node whose layer has `backward_through_relu` (max pooling), fed by exactly
    one node whose layer ends in a relu and can start backward at its pre-activation
    (Dense, convolutions, Activation("relu")), where nothing else reads that node's output
    and it is not a model output. Both must be the engine's own classes, not subclasses.

    Args:
        plan: `Model._plan`, `(node name, layer, parent references)` in execution order.
        output_names: The model's output node names.
    """
    readers = Counter(ref for _, _, parents in plan for ref in parents)
    readers.update(output_names)
    layers = {name: layer for name, layer, _ in plan}
    pairs = {}
    for name, layer, parents in plan:
        if not (_built_in(layer) and hasattr(layer, "backward_through_relu")) \
                or len(parents) != 1:
            continue
        below = layers.get(parents[0])  # None for a later output of a layer ("lstm:1")
        if below is not None and readers[parents[0]] == 1 and _ends_in_relu(below):
            pairs[name] = parents[0]
    return pairs


def _ends_in_relu(layer) -> bool:
    return _built_in(layer) and getattr(layer, "activation", None) == "relu" and hasattr(
        layer, "backward_from_preactivation")


def _built_in(layer) -> bool:
    """An engine layer class itself: a user's subclass may override forward or backward,
    which the pair would pass by."""
    return type(layer).__module__.startswith("engine.layers.")


def forward_read_by(layer, x, pool, training):
    """`layer(x)` (keeping what backward needs) limited to the outputs `pool` reads, where
    `layer` can (its `forward_read_by`); else None: the full output is computed."""
    method = getattr(layer, "forward_read_by", None)
    return None if method is None else method(x, pool, training)


def forward_pooled(layer, x, pool):
    """`pool(layer(x))` in one pass for inference where `layer` can (its `forward_pooled`),
    else None: the two run one after the other."""
    method = getattr(layer, "forward_pooled", None)
    return None if method is None else method(x, pool)
