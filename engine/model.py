"""Model: a graph of layers that runs forward and backward, with Keras's model API.

Built models keep every trainable weight as a view into one flat float32 buffer (and every
gradient in a second one), so an optimizer step is one vectorised expression and a
checkpoint is a few contiguous arrays. Layers still see ordinary shaped arrays.
"""

import numpy as np

from . import backend, fpu
from .data_adapter import spread
from .errors import ShapeError, SpecError
from .functional import SurfaceMixin, trace_functional
from .graph import ModelGraph
from .graph_refs import node_of, output_refs
from .layers.base import dims_match, format_shape
from .naming import unique_name
from .relu_pool import forward_pooled, forward_read_by, relu_pool_pairs
from .layers.custom import is_call_based as custom_is_call_based
from .layers.custom import weight_layers as custom_weight_layers
from . import subclassed
from . import model_tape
from .ops.core import Tensor, is_recording, value_of
from .symbolic import SymbolicTensor, trace_graph_calls
from .training import TrainingMixin


class Model(TrainingMixin, SurfaceMixin):
    """A model built from a graph: functional (`Model(inputs, outputs)`) or from a spec.

    Args:
        inputs: A symbolic tensor from `Input(...)`, or a list of them.
        outputs: A symbolic tensor (or list) computed from `inputs` by calling layers.
        name: The model's name; defaults to `functional`, `functional_1`...
    """

    def __new__(cls, *args, **kwargs):
        # Keras records a user class's constructor arguments here, so that its default
        # get_config() (and saving a subclassed model) needs no code from the user.
        instance = super().__new__(cls)
        if cls.__init__ is not Model.__init__:
            from .saving.subclassed_models import constructor_arguments  # noqa: PLC0415

            instance._auto_config, instance._auto_config_problem = \
                constructor_arguments(cls, args, kwargs)
        return instance

    def __init__(self, inputs=None, outputs=None, name=None, device="cpu", **kwargs):
        trainable = kwargs.pop("trainable", True)
        kwargs.pop("dtype", None)
        if kwargs:
            raise SpecError(f"Unrecognized keyword arguments passed to Model: {kwargs}. Valid "
                            "arguments: inputs, outputs, name, trainable.")
        self.name = name or unique_name(self._default_name())
        self.device = backend.resolve_device(device)
        self.stop_training = False
        self._forward_count = 0
        self._init_training_state()
        self._graph = None
        self._symbolic = None  # (input tensors, output tensors) once built
        if inputs is not None or outputs is not None:
            graph, layers, tensors = trace_functional(inputs, outputs, self.name)
            self._set_graph(graph, layers, tensors)

    @classmethod
    def _default_name(cls):
        if cls.call is not Model.call:  # a subclassed model: its class name, as Keras
            return cls.__name__
        return "functional"

    @property
    def _builds_later(self) -> bool:
        """A subclassed model compiles before it has a graph (it builds on its first data)."""
        return subclassed.is_subclassed(self) or _overrides_train_step(self)

    def call(self, inputs, training=None, mask=None):
        """What the model computes (Keras's `call`): subclassed models override it; a
        functional model runs its graph, recorded under a tape (`model_tape`)."""
        self._build_for_data(_values(inputs))
        outputs = model_tape.call(self, inputs, bool(training))
        return outputs[0] if len(outputs) == 1 else outputs

    def build(self, input_shape) -> None:
        """Builds a subclassed model for `input_shape` (batch axis first, as Keras)."""
        if subclassed.is_subclassed(self):
            if self._graph is None:
                subclassed.build(self, input_shape)
            return
        if self._graph is None:
            raise SpecError(f"Model '{self.name}' has no graph to build; give it inputs and "
                            "outputs.")

    @property
    def built(self) -> bool:
        """Whether the model has its weights (Keras's `built`): a subclassed model once it
        was called on data, fit or given `build(input_shape)`."""
        from .saving.subclassed_models import is_built  # noqa: PLC0415

        return is_built(self)

    def _build_for_data(self, x) -> None:
        """A subclassed model builds its graph from the first data it receives."""
        if self._graph is None:
            subclassed.build_for_data(self, x)

    # ----- construction ----------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: dict, device: str = "cpu") -> "Model":
        """Builds a model from a spec (plain JSON data, see `to_spec`)."""
        from .saving import subclassed_models  # noqa: PLC0415 - saving imports this module

        if subclassed_models.is_subclassed_spec(spec):  # rebuilt from its registered class
            return subclassed_models.model_from_spec(spec, device)
        graph = ModelGraph.from_spec(spec)
        model = Model.__new__(Model)
        Model.__init__(model, name=graph.name, device=device)
        model._set_graph(graph, {})
        return model

    def _set_graph(self, graph: ModelGraph, layers: dict, tensors=None):
        """Checks `graph`, builds its layers (reusing `layers` by node name) and packs weights.

        `tensors` are the (inputs, outputs) symbolic tensors the graph was traced from; other
        graphs get theirs made here, so `model.inputs` and `layer.output` always exist.
        """
        analysis = graph.analyze(live={name: layer for name, layer in layers.items()
                                       if custom_is_call_based(type(layer))})
        errors = [p for p in analysis.problems if p.severity == "error"]
        if errors:
            lines = "\n".join(f"  - {p.message}" for p in errors)
            raise SpecError(f"Model '{graph.name}' cannot be built:\n{lines}")
        self._graph = graph
        self._shapes = analysis.shapes  # by input reference ("lstm", "lstm:1")
        self._output_counts = analysis.output_counts
        self._masked = {name for name, has in analysis.masked.items() if has}
        self._nodes = {}  # node name -> layer instance that runs it
        self._owners = {}  # node name -> layer that owns the weights
        for name in analysis.order:
            node = graph.nodes[name]
            owner_name = node.shares or name
            owner = layers.get(owner_name) or self._owners.get(owner_name) or \
                analysis.layers[owner_name if node.shares else name]
            self._owners[name] = owner
            self._nodes[name] = owner if not node.shares else _shadow_of(owner, name)
        self._plan = self._make_plan(analysis.order)
        self._input_set = {name for name, _, parents in self._plan if not parents}
        self._relu_pools = relu_pool_pairs(self._plan, self.output_names)
        self._pooled_below = {below: pool for pool, below in self._relu_pools.items()
                              if below not in self._masked and pool not in self._masked}
        self._build_layers()
        self._symbolic = tensors or trace_graph_calls(self)

    def _make_plan(self, order):
        needed = set()
        stack = [node_of(o, self._graph.nodes) for o in self._graph.outputs]
        while stack:
            name = stack.pop()
            if name not in needed:
                needed.add(name)
                stack.extend(self._graph.parent_nodes(name))
        return [(name, self._nodes[name], list(self._graph.nodes[name].inputs))
                for name in order if name in needed]

    def _build_layers(self):
        for name, layer, parents in self._plan:
            if not parents:
                continue
            owner = self._owners[name]
            in_shape = self._input_shape_of(layer, parents)
            if not owner.built:
                owner.device = self.device
                owner.build_for(in_shape)
            if layer is not owner and not layer.built:
                layer.device = self.device
                layer.input_shape, layer.built = in_shape, True
        self._pack_parameters()

    def _input_shape_of(self, layer, parents):
        shapes = [self._shapes[p] for p in parents]
        return shapes if layer.takes_list(len(shapes)) else shapes[0]

    # ----- flat parameter buffers ----------------------------------------------------------
    def _pack_parameters(self):
        """Makes every trainable weight (and its gradient) a view into one flat buffer."""
        xp = backend.xp(self.device)
        entries = [entry for layer in self.layers for entry in layer._weight_entries(True)]
        sizes = [int(np.prod(layer.params[key].shape)) for layer, key in entries]
        total = int(sum(sizes))
        flat_params = xp.empty(total, dtype=backend.FLOATX)
        flat_grads = xp.zeros(total, dtype=backend.FLOATX)
        self._segments, offset = [], 0
        for (layer, key), size in zip(entries, sizes):
            shape = layer.params[key].shape
            stop = offset + size
            flat_params[offset:stop] = backend.to_device(layer.params[key], self.device).ravel()
            if key in layer.grads:  # a repack between backward and the step keeps the grads
                flat_grads[offset:stop] = backend.to_device(layer.grads[key], self.device).ravel()
            layer.params[key] = flat_params[offset:stop].reshape(shape)
            layer.grads[key] = flat_grads[offset:stop].reshape(shape)
            self._segments.append((offset, stop))
            offset = stop
        self._flat_params, self._flat_grads = flat_params, flat_grads
        self._trainable_entries = entries
        self._packed_flags = self._trainable_flags()
        self._packed_arrays = [layer.params[key] for layer, key in entries]
        for name, layer, _ in self._plan:  # shadows own separate gradient arrays
            if layer is not self._owners[name]:
                layer.grads = {k: xp.zeros_like(v) for k, v in self._owners[name].grads.items()}

    def _trainable_flags(self):
        return tuple(layer.trainable for layer in self._weight_layers())

    def _weight_layers(self) -> list:
        """Every layer that owns weights: the model's layers and their tracked sublayers."""
        seen, ids = [], set()
        for layer in self.layers:
            owners = layer._weight_layers() if isinstance(layer, Model) else \
                custom_weight_layers(layer)
            for owner in owners:
                if id(owner) not in ids:
                    ids.add(id(owner))
                    seen.append(owner)
        return seen

    def _ensure_packed(self):
        """Repacks when a layer's trainable flag changed, or when another model sharing these
        layers (a feature extractor over a Sequential's layers) repacked them into its own
        buffer: otherwise this model's optimizer would update a buffer no layer reads."""
        if self._packed_flags != self._trainable_flags() or any(
                layer.params[key] is not array
                for (layer, key), array in zip(self._trainable_entries, self._packed_arrays)):
            self._pack_parameters()

    def to_device(self, device: str) -> "Model":
        """Moves every weight to `device` ("cpu", "gpu" or "auto") and repacks the buffers."""
        device = backend.resolve_device(device)
        if device == self.device:
            return self
        self.device = device
        for layer in self._all_layer_instances():
            layer.device = device
            for key in list(layer.params):
                layer.params[key] = backend.to_device(layer.params[key], device)
            for key in list(layer.grads):
                layer.grads[key] = backend.to_device(layer.grads[key], device)
        self._pack_parameters()
        self._on_device_changed()
        return self

    def _all_layer_instances(self):
        seen = []
        for _, layer, _ in self._plan:
            for owner in custom_weight_layers(layer):
                if not any(owner is s for s in seen):
                    seen.append(owner)
        return seen

    # ----- structure ---------------------------------------------------------------------------
    @property
    def graph(self) -> ModelGraph:
        return self._graph

    @property
    def layers(self) -> list:
        """Each layer once (shared layers once), in graph order; Input layers included. A
        subclassed model lists the layers (and models) its attributes hold, as Keras."""
        if subclassed.is_subclassed(self) or self._graph is None:
            return subclassed.tracked_layers(self)
        seen = []
        for name, _, _ in self._plan:
            owner = self._owners[name]
            if owner not in seen:
                seen.append(owner)
        return seen

    @property
    def input_names(self) -> list[str]:
        return [name for name, _, parents in self._plan if not parents]

    @property
    def output_names(self) -> list[str]:
        return list(self._graph.outputs)

    @property
    def input_shapes(self) -> list[tuple]:
        return [self._shapes[n] for n in self.input_names]

    @property
    def output_shapes(self) -> list[tuple]:
        return [self._shapes[n] for n in self.output_names]

    def node_shape(self, name):
        """The shape of output 0 of node `name` (or of the output a reference names)."""
        return self._shapes[name]

    def node_output_shapes(self, name) -> list:
        """Every output shape of node `name`, in output order."""
        return [self._shapes[r] for r in self.node_output_refs(name)]

    def node_output_refs(self, name) -> list[str]:
        """The references of every output of node `name` ("lstm", "lstm:1", ...)."""
        return output_refs(name, self._output_counts.get(name, 1))

    def to_spec(self) -> dict:
        """The model as a spec: plain JSON data that `Model.from_spec` rebuilds."""
        if subclassed.is_subclassed(self):  # its class's name and config, not its code
            from .saving.subclassed_models import subclassed_spec  # noqa: PLC0415

            return subclassed_spec(self)
        spec = self._graph.to_spec()
        spec["name"] = self.name
        for entry in spec["layers"]:
            if "shares" not in entry:
                config = self._owners[entry["name"]].get_config()
                config.pop("name", None)
                entry["config"] = config
        return spec

    def get_config(self) -> dict:
        """A functional model's spec; a subclassed model's constructor arguments and name
        (Keras's default, from the arguments `__init__` received when they are plain
        values). A subclass's own `get_config` overrides this, as in Keras."""
        if subclassed.is_subclassed(self):
            from .saving.subclassed_models import default_config  # noqa: PLC0415

            return default_config(self)
        return self.to_spec()

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from `get_config()`: a subclassed class gets `cls(**config)` (Keras's
        default); a spec (functional, Sequential-like or subclassed) is rebuilt with fresh
        weights, its classes found only among registered ones and `custom_objects`."""
        if cls.call is not Model.call:
            from .saving.subclassed_models import rebuilt_from_config  # noqa: PLC0415

            return rebuilt_from_config(cls, config)
        return super().from_config(config, custom_objects)

    # ----- weights ------------------------------------------------------------------------------
    @property
    def weights(self) -> list:
        """Every weight as a `Variable`, layer by layer in Keras order (empty before the model
        is built)."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def non_trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def non_trainable_variables(self) -> list:
        return self.non_trainable_weights

    @property
    def trainable_variables(self) -> list:
        """The trainable weights as `Variable`s, views into the flat parameter buffer."""
        if self._graph is None:  # a subclassed model before fit: its layers' variables
            return [layer.variable(key) for layer in self._weight_layers()
                    for key in layer.trainable_weight_names]
        self._ensure_packed()
        cached = vars(self).get("_trainable_variables")  # a custom loop asks every step
        if cached is None or cached[0] is not self._trainable_entries:
            cached = self._trainable_variables = (
                self._trainable_entries,
                [layer.variable(key) for layer, key in self._trainable_entries])
        return list(cached[1])

    @property
    def trainable_weights(self) -> list:
        return self.trainable_variables

    def get_weights(self) -> list[np.ndarray]:
        """Every weight as a NumPy array, layer by layer in Keras order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        weights = list(weights)
        expected = sum(len(layer._weight_entries()) for layer in self.layers)
        if len(weights) != expected:
            raise ShapeError(f"Model '{self.name}' has {expected} weight arrays; received "
                             f"{len(weights)}. Use weights from a model with the same layers.")
        start = 0
        for layer in self.layers:
            count = len(layer._weight_entries())
            layer.set_weights(weights[start:start + count])
            start += count

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def regularization_loss(self):
        """The weight penalties plus what the last call's layers passed to `add_loss`."""
        total = 0.0
        for term in vars(self).get("_call_losses", ()):
            total = total + value_of(term)
        for layer in self._weight_layers():
            if layer.regularizers:
                total = total + layer.regularization_loss()
            for term in vars(layer).get("_call_losses", ()):
                total = total + value_of(term)
        return total

    # ----- computation ---------------------------------------------------------------------------
    def standardize_inputs(self, x) -> list:
        """The model's inputs as a list of float32 device arrays, checked against the Inputs."""
        names = self.input_names
        return [self._checked_input(name, a) for name, a in zip(names, spread(x, names,
                                                                               "inputs"))]

    def _checked_input(self, name, array):
        if not backend.is_gpu_array(array):
            array = np.asarray(array)
        expected = self._shapes[name]
        got = tuple(int(d) for d in array.shape[1:])
        if array.ndim == 0 or not dims_match(got, expected):
            raise ShapeError(
                f"Input '{name}' of model '{self.name}' expects shape "
                f"{format_shape(tuple(expected))}, but received input with shape "
                f"{format_shape(got) if array.ndim else '()'}. Reshape the data or change the "
                "Input shape.")
        if array.dtype != backend.FLOATX or backend.device_of(array) != self.device:
            array = backend.to_device(array, self.device, dtype=backend.FLOATX)
        return array

    def forward(self, inputs: list, training: bool = False, inference_only: bool = False,
                input_gradients: bool = True) -> list:
        """Runs the graph on standardized inputs; returns the outputs in `output_names` order.

        `inference_only` promises that no backward pass follows (predict, evaluate), so
        layers may skip keeping what only backward needs. `input_gradients=False` promises
        a `backward(..., input_gradients=False)`: layers fed by the inputs are told before
        they run (a custom layer then records no gradient path to its inputs).
        """
        self._forward_count += 1  # a GradientTape checks that its forward pass is the last
        values, masks = {}, {}
        positions = {name: i for i, name in enumerate(self.input_names)}
        computed = set()  # poolings computed together with the layer below them
        for name, layer, parents in self._plan:
            layer.inference_only = inference_only
            if name in computed:
                continue
            if not parents:
                values[name] = inputs[positions[name]]
                continue
            if all(p in self._input_set for p in parents):
                layer.needs_input_gradient = input_gradients
            x, mask = self._layer_input(layer, parents, values, masks)
            if name in self._pooled_below:  # relu_pool: a pooling alone reads this layer
                pool = self._pooled_below[name]
                if inference_only:  # one pass for both
                    self._nodes[pool].inference_only = True  # its own step is skipped
                    pooled = forward_pooled(layer, x, self._nodes[pool])
                    if pooled is not None:
                        values[pool] = pooled
                        computed.add(pool)
                        continue
                else:  # only what the pooling reads
                    read = forward_read_by(layer, x, self._nodes[pool], training)
                    if read is not None:
                        values[name] = read
                        continue
            outputs = layer.forward_masked(x, training=training, mask=mask)
            if name in self._output_counts:
                values.update(zip(self.node_output_refs(name), outputs))
            else:
                values[name] = outputs
            if name in self._masked:
                masks[name] = layer.compute_mask(x, mask)
        return [values[name] for name in self.output_names]

    @staticmethod
    def _layer_input(layer, parents, values, masks):
        """(input, its mask) of a layer: single values, or lists for multi-input layers (the
        mask list then has None for inputs without one, or is None when none has one)."""
        if not layer.takes_list(len(parents)):
            return values[parents[0]], masks.get(parents[0])
        mask = [masks.get(p) for p in parents]
        return [values[p] for p in parents], (mask if any(m is not None for m in mask) else None)

    def backward(self, output_grads: list, from_preactivation=(), input_gradients=True,
                 regularizers=True) -> dict:
        """Backpropagates dL/d(outputs); fills every trainable gradient.

        Args:
            output_grads: One gradient per output, in `output_names` order.
            from_preactivation: Output names whose gradient is already with respect to the
                output layer's pre-activation (fused softmax/sigmoid + cross-entropy).
            input_gradients: Whether dL/d(input) is wanted; training passes False so the
                layers right after the Inputs skip computing it.
            regularizers: Whether weight regularizers add their gradients (a GradientTape
                takes them from `model.losses` instead).

        Returns:
            dL/d(input) for each Input node, by name.
        """
        pending = {}
        for name, grad in zip(self.output_names, output_grads):
            pending[name] = grad if name not in pending else pending[name] + grad
        reached, input_grads = set(), {}
        preactivated = set(from_preactivation)  # grows with each pooling that took a relu
        for name, layer, parents in reversed(self._plan):
            grad = self._pending_output_grads(name, pending)
            if grad is None:
                continue
            if not parents:
                input_grads[name] = grad
                continue
            if all(p in self._input_set for p in parents):
                layer.needs_input_gradient = input_gradients
            if name in preactivated:
                grads_in = layer.backward_from_preactivation(grad)
            elif name in self._relu_pools:  # a max pooling takes its relu along (relu_pool)
                grads_in = layer.backward_through_relu(grad)
                preactivated.add(self._relu_pools[name])
            else:
                grads_in = layer.backward(grad)
            reached.add(name)
            if grads_in is None:  # a layer fed by the inputs, asked for no input gradient
                continue
            if not layer.takes_list(len(parents)):
                grads_in = [grads_in]
            for parent, g in zip(parents, grads_in):
                if g is not None:
                    pending[parent] = g if parent not in pending else pending[parent] + g
        self._finish_gradients(reached, regularizers)
        return input_grads

    def _pending_output_grads(self, name, pending):
        """dL/d(output) of node `name`, summed over its consumers; for a node with several
        outputs a list (None for outputs nothing used), or None when no output was used."""
        if name not in self._output_counts:
            return pending.pop(name, None)
        grads = [pending.pop(ref, None) for ref in self.node_output_refs(name)]
        return None if all(g is None for g in grads) else grads

    def _finish_gradients(self, reached, regularizers=True):
        """Zeroes gradients of layers no loss reached; adds shadow grads; regularizers (left
        out for a GradientTape, where they are terms of `model.losses`)."""
        owners_reached = set()
        self._last_reached = reached  # which layers a GradientTape's cotangent reached
        for name, layer, parents in self._plan:
            owner = self._owners[name]
            if name in reached and layer is not owner:
                for key, g in layer.grads.items():
                    owner.grads[key] += g
            if name in reached:
                owners_reached.add(id(owner))
        for name, layer, parents in self._plan:
            owner = self._owners[name]
            if layer is owner and parents and name not in reached and \
                    id(owner) not in owners_reached:
                for g in owner.grads.values():
                    g.fill(0)
        for layer in self._weight_layers() if regularizers else ():
            if layer.regularizers:
                layer.add_regularization_gradients()

    @fpu.flushed
    def __call__(self, x, training: bool = False, mask=None):
        """Eager call (as `keras.Model.__call__`): device arrays, or Tensors when the inputs
        are Tensors or a GradientTape records (then every layer call is recorded)."""
        if isinstance(x, SymbolicTensor) or (isinstance(x, (list, tuple)) and any(
                isinstance(t, SymbolicTensor) for t in x)):
            return self._call_symbolic(x)
        if subclassed.is_subclassed(self):
            from .saving.subclassed_models import note_call_shapes  # noqa: PLC0415

            note_call_shapes(self, x)  # what save() builds the loaded model for (Keras)
            return subclassed.eager_call(self, x, training=training, mask=mask)
        self._build_for_data(_values(x))
        items = x if isinstance(x, (list, tuple)) else [x]
        if is_recording() or any(isinstance(t, Tensor) for t in items):
            outputs = model_tape.call(self, x, training)
        else:
            outputs = self.forward(self.standardize_inputs(x), training=training)
        return outputs[0] if len(outputs) == 1 else outputs

    def _call_symbolic(self, x):
        """`model(symbolic_tensor)`: the model becomes one node of the outer graph."""
        from .nested import call_symbolic  # noqa: PLC0415 - nested imports this module

        return call_symbolic(self, x)

    @property
    def losses(self) -> list:
        """Keras's `model.losses`: every weight penalty and every `add_loss` term of the last
        call, as Tensors (differentiable inside a GradientTape)."""
        own = list(vars(self).get("_call_losses", ()))
        return own + [term for layer in self.layers for term in layer.losses]

    def add_loss(self, loss):
        """Adds a loss term from inside a subclassed model's `call` (Keras's `add_loss`)."""
        vars(self).setdefault("_call_losses", []).append(loss)

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Prints (or passes to `print_fn`) a Keras-style table of layers; returns the text."""
        from .summary import summary_text  # noqa: PLC0415

        text = summary_text(self, line_length=line_length, positions=positions)
        (print_fn or print)(text)
        return text

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _overrides_train_step(model) -> bool:
    return any(getattr(type(model), name) is not getattr(Model, name)
               for name in ("train_step", "test_step", "predict_step"))


def _values(x):
    """The raw arrays behind Tensors (for shape checks and deferred builds)."""
    if isinstance(x, (list, tuple)):
        return type(x)(value_of(t) for t in x)
    if isinstance(x, dict):
        return {k: value_of(v) for k, v in x.items()}
    return value_of(x)


def _shadow_of(owner, node_name):
    """A second instance of `owner` for another call site, sharing its weight dict."""
    config = owner.get_config()
    config["name"] = node_name
    shadow = type(owner).from_config(config)
    shadow.params = owner.params  # same dict object: weights (and repacking) are shared
    shadow.regularizers = {}
    shadow._variable_owner = owner  # its Variables are the owner's (one gradient per weight)
    return shadow
