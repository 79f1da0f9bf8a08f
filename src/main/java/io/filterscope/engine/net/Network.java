package io.filterscope.engine.net;

import io.filterscope.engine.Backend;
import io.filterscope.engine.HostArrays;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A model compiled into native ops for one batch size and image size: a graph of stages (a chain for
 * sequential models; merges and residual additions for others), run in topological order. Forward runs
 * only the stages a target depends on; backward carries gradients placed at one or more layers down to the
 * input, adding up where a node feeds several others. All buffers are allocated once; a step allocates
 * nothing large. A stage's output is stored {@link ChannelsLast channels last} when every stage reading it takes
 * that (convolutions, ReLUs and pools); outputs and gradients keep their [n, c, h, w] shape and indices either way.
 */
public final class Network {
    /** Allocated stages by node; null where a stage could not take this input size. */
    private final Stage[] stages;
    /** Every stage of the model, allocated or not, for {@link #activationVolume(long, long, long)}. */
    private final List<Stage> planned;
    private final int[][] from;
    /** Node of a folded batch norm to the node of the convolution folded into it ({@link StageGraph#folded}). */
    private final Map<Integer, Integer> folded;
    private final INDArray input;
    /** Why some layers are missing (a dense layer that needs another input size), or null. */
    private final String truncated;
    private final Set<String> allLayers;
    /** Every layer of the model, computed at this size or not, to its node. */
    private final Map<String, Integer> nodeOfAnyLayer;
    private final Map<String, Integer> nodeOfLayer = new LinkedHashMap<>();
    /** Second names: alias to layer name. */
    private final Map<String, String> aliases;
    private final Map<String, INDArray> objectiveGradients = new HashMap<>();
    /** {@link #channelMask}'s last mask per layer, with the channel of each image it was made for. */
    private final Map<String, ChannelMask> channelMasks = new HashMap<>();
    /** {@link #keptRows}' views: per array (by identity), per first and end row. */
    private final Map<INDArray, Map<Long, INDArray>> keptRows = new java.util.IdentityHashMap<>();
    private final List<LayerInfo> layers = new ArrayList<>();
    private final boolean[] computed;
    /** Backward's gradient at each node's output (slot node + 1; slot 0 is the input), and whether it is ours to add to. */
    private final INDArray[] grads;
    private final boolean[] owned;
    private final INDArray[] sums;
    private final long activationVolume;
    /** How many leading stages (in topological order) were planned for allocation: see {@link #depth(Collection)}. */
    private final int depth;
    /** Times every stage's passes while profiling, else null. */
    private StageTimes times;

    /** Allocates the first {@code depth} stages of {@code graph} (all of them: its size), none after. */
    Network(StageGraph graph, DataType dtype, long[] inputShape, int depth) {
        this.input = Nd4j.create(dtype, inputShape);
        int n = graph.stages.size();
        if (depth < 1 || depth > n) {
            throw new IllegalArgumentException("depth " + depth + " for a network of " + n + " stages");
        }
        this.depth = depth;
        stages = new Stage[n];
        planned = List.copyOf(graph.stages);
        from = graph.inputs.toArray(new int[0][]);
        folded = Map.copyOf(graph.folded);
        String reason = null;
        // oneDNN fixes how many threads a primitive fans out to when it is made (DirectConv, DirectMaxPool): make them
        // for the threads this network's steps will ask for on this thread, not for whatever the thread asked last.
        // Made on a thread with every core and stepped on one that has a core of its own, each convolution still took
        // both cores: four busy threads on two (docs/performance.md, "Twenty-sixth session").
        try (Backend.Threads before = Backend.fitThreadsFor(activationVolume(inputShape[0], inputShape[2], inputShape[3]))) {
            for (int i = 0; i < depth; i++) {
                INDArray[] ins = inputsOf(i);
                if (ins == null) {
                    continue;
                }
                try {
                    graph.stages.get(i).channelsLastAllowed = readersTakeChannelsLast(graph, i, depth);
                    graph.stages.get(i).allocate(ins);
                    stages[i] = graph.stages.get(i);
                } catch (IllegalArgumentException e) {
                    // Convolutions take any size; a dense layer needs the size it was trained on. Keep what does not
                    // depend on it, so a filter can still be rendered larger than the model's own input.
                    reason = reason == null ? e.getMessage() : reason;
                }
            }
        }
        this.truncated = reason;
        this.activationVolume = Arrays.stream(stages).filter(Objects::nonNull).mapToLong(st -> st.out.length()).sum();
        this.allLayers = graph.layers.keySet();
        this.nodeOfAnyLayer = Map.copyOf(graph.layers);
        this.aliases = Map.copyOf(graph.aliases);
        Map<String, String> aliasOf = new HashMap<>();
        graph.aliases.forEach((alias, layer) -> aliasOf.put(layer, alias));
        for (Map.Entry<String, Integer> e : graph.layers.entrySet()) {
            Stage last = stages[e.getValue()];
            if (last == null) {
                continue;
            }
            nodeOfLayer.put(e.getKey(), e.getValue());
            long[] shape = last.out.shape();
            List<Long> perImage = new ArrayList<>();
            for (int d = 1; d < shape.length; d++) {
                perImage.add(shape[d]);
            }
            layers.add(new LayerInfo(e.getKey(), kindOf(e.getKey()), shape[1], perImage, aliasOf.get(e.getKey())));
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(reason != null ? reason : "the model has no layers");
        }
        computed = new boolean[n];
        grads = new INDArray[n + 1];
        owned = new boolean[n + 1];
        sums = new INDArray[n + 1];
    }

    /**
     * Whether every stage among the first {@code depth} that reads node {@code node} takes inputs stored channels last,
     * and where a reader's output is its input array ({@link Stage#outputIsInput}), every stage reading that too.
     */
    private static boolean readersTakeChannelsLast(StageGraph graph, int node, int depth) {
        for (int j = node + 1; j < depth; j++) {
            for (int src : graph.inputs.get(j)) {
                Stage reader = graph.stages.get(j);
                if (src == node && (!reader.takesChannelsLast() || reader.outputIsInput() && !readersTakeChannelsLast(graph, j, depth))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The arrays node i reads, or null when one of them could not be allocated. */
    private INDArray[] inputsOf(int i) {
        INDArray[] ins = new INDArray[from[i].length];
        for (int k = 0; k < ins.length; k++) {
            int src = from[i][k];
            if (src != StageGraph.INPUT && stages[src] == null) {
                return null;
            }
            ins[k] = src == StageGraph.INPUT ? input : stages[src].out;
        }
        return ins;
    }

    private String kindOf(String layer) {
        StringBuilder kind = new StringBuilder();
        for (Stage s : stages) {
            if (s != null && layer.equals(s.layer)) {
                kind.append(kind.length() == 0 ? "" : "+").append(s.kind());
            }
        }
        return kind.toString();
    }

    public List<LayerInfo> layers() {
        return layers;
    }

    /** The layer of that name or alias, or null. */
    public LayerInfo layer(String name) {
        for (LayerInfo l : layers) {
            if (l.answersTo(name)) {
                return l;
            }
        }
        return null;
    }

    /** How many values all stages together produce in one forward pass: a measure of a step's work. */
    public long activationVolume() {
        return activationVolume;
    }

    /**
     * What {@link #activationVolume()} would be for a network of the same model compiled for a batch of
     * {@code batch} images of {@code height} x {@code width}, worked out from shapes alone: nothing is
     * allocated. Stages that cannot take that size are left out, as compiling would leave them out.
     */
    public long activationVolume(long batch, long height, long width) {
        return activationVolume(batch, height, width, planned.size());
    }

    /** {@link #activationVolume(long, long, long)} of a network compiled with only its first {@code depth} stages. */
    public long activationVolume(long batch, long height, long width, int depth) {
        return Arrays.stream(plan(batch, height, width)).limit(depth).filter(Objects::nonNull).mapToLong(Stage::volume).sum();
    }

    /**
     * The fewest leading stages a network needs to compute every one of {@code layers}: stages run in topological
     * order, so none after the deepest layer's own is read. A run compiles its network with this depth, so a run on
     * an early layer neither allocates nor steps the rest of the model. Objectives that read no layer (a penalty on
     * the image alone) get the stages up to the first layer: the smallest network that has a layer at all.
     *
     * @throws IllegalArgumentException for a layer this network does not have
     */
    public int depth(Collection<String> layers) {
        int deepest = nodeOfLayer.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        for (String layer : layers) {
            deepest = Math.max(deepest, node(layer));
        }
        return deepest + 1;
    }

    /** How many leading stages this network was compiled with ({@link #depth(Collection)}). */
    public int depth() {
        return depth;
    }

    /**
     * The multiply-adds of one ascent step on a network of the same model compiled for a batch of {@code batch}
     * images of {@code height} x {@code width}: the forward pass through the stages {@code targets} depend on,
     * and the backward pass from them to the input (about as many again: no weight gradients), from shapes alone.
     * Convolutions and dense layers count their products, other stages one operation per value; the image's own
     * transforms are not counted.
     *
     * @throws IllegalArgumentException for a target this network does not have
     */
    public long multiplyAdds(long batch, long height, long width, Collection<String> targets) {
        long[][] shapes = plan(batch, height, width);
        boolean[] need = needed(targets);
        long forward = 0;
        for (int i = 0; i < shapes.length; i++) {
            if (need[i] && shapes[i] != null) {
                forward += planned.get(i).multiplyAdds(shapesOf(i, shapes, batch, height, width), shapes[i]);
            }
        }
        return 2 * forward;
    }

    /**
     * The values thin convolutions write in one ascent step (their outputs forward, their inputs' gradients back):
     * convolutions that read at most {@link #THIN_CHANNELS} channels (an image's) into planes of at least {@link
     * #THIN_PIXELS} pixels, whose forward pass does few products per output value and whose input gradient writes
     * those few channels. On CPU their time follows the values they write, not their multiply-adds: emoji-cnn's conv1
     * (3 channels in, 24 out) for 8 images of 256 px took 0.47-0.67 s of processor time, mnist-cnn's (1 in, 32 out)
     * 0.8-0.9 s, about 30-45 ns a value, where their multiply-adds at the calibrated rate would take 0.03 s; on planes
     * of 64-152 px they ran at the wide rate.
     */
    public long thinValues(long batch, long height, long width, Collection<String> targets) {
        long[][] shapes = plan(batch, height, width);
        boolean[] need = needed(targets);
        long values = 0;
        for (int i = 0; i < shapes.length; i++) {
            if (need[i] && shapes[i] != null) {
                long[] in = shapesOf(i, shapes, batch, height, width)[0];
                Stage s = planned.get(i) instanceof FoldedBatchNormStage f ? f.convolution() : planned.get(i);
                if (s instanceof ConvStage && in[1] <= THIN_CHANNELS && shapes[i][2] * shapes[i][3] >= THIN_PIXELS) {
                    values += Stage.volume(shapes[i]) + Stage.volume(in);
                }
            }
        }
        return values;
    }

    /** Channels a thin convolution reads at most ({@link #thinValues}). */
    static final long THIN_CHANNELS = 4;
    /** Pixels of an output plane from which a convolution of few channels is thin ({@link #thinValues}): 256 x 256. */
    static final long THIN_PIXELS = 256 * 256;

    /**
     * The output shape of {@code layer} (a name or alias) for a batch of {@code batch} images of {@code height} x
     * {@code width}, from shapes alone (nothing is allocated), or null when some stage on its way cannot take that
     * size (a map shrinks to nothing, a dense layer needs the model's own size).
     *
     * @throws IllegalArgumentException for a layer the model does not have
     */
    public long[] shapeAt(String layer, long batch, long height, long width) {
        Integer node = nodeOfAnyLayer.get(aliases.getOrDefault(layer, layer));
        if (node == null) {
            throw new IllegalArgumentException(unavailable(layer));
        }
        return plan(batch, height, width)[node];
    }

    /** The output shape of every planned stage for that input, or null where a stage cannot take it. */
    private long[][] plan(long batch, long height, long width) {
        long[][] shapes = new long[planned.size()][];
        for (int i = 0; i < shapes.length; i++) {
            long[][] ins = shapesOf(i, shapes, batch, height, width);
            if (Arrays.stream(ins).anyMatch(Objects::isNull)) {
                continue;
            }
            try {
                long[] shape = planned.get(i).outputShape(ins);
                if (Arrays.stream(shape).allMatch(d -> d > 0)) {
                    shapes[i] = shape;
                }
            } catch (IllegalArgumentException e) {
                // this stage (a dense layer, say) cannot take that size: it is left out
            }
        }
        return shapes;
    }

    /** The shapes node i reads, from those planned so far (null where one is missing). */
    private long[][] shapesOf(int i, long[][] shapes, long batch, long height, long width) {
        long[][] ins = new long[from[i].length][];
        for (int k = 0; k < ins.length; k++) {
            ins[k] = from[i][k] == StageGraph.INPUT ? new long[] {batch, input.size(1), height, width} : shapes[from[i][k]];
        }
        return ins;
    }

    /** Images {@code [from, to)} of a batch array of any rank ([batch, ...]): a view. */
    public static INDArray rows(INDArray batch, int from, int to) {
        org.nd4j.linalg.indexing.INDArrayIndex[] index = new org.nd4j.linalg.indexing.INDArrayIndex[batch.rank()];
        index[0] = org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
        for (int d = 1; d < index.length; d++) {
            index[d] = org.nd4j.linalg.indexing.NDArrayIndex.all();
        }
        return batch.get(index);
    }

    /**
     * Images {@code [from, to)} of {@code batch}, the view {@link #rows} makes, made once and kept when {@code batch}
     * lives outside any workspace (this network's {@link #input}, what {@link #backward} returns): runs sharing the
     * batch ask for the same rows step after step, and each new view (its shape and buffer objects, each registered for
     * deallocation) cost a few microseconds, four a run and step. The views of an array are dropped when it has more
     * than one per image (runs came and went).
     */
    public INDArray keptRows(INDArray batch, int from, int to) {
        if (batch.isAttached()) {
            return rows(batch, from, to);
        }
        Map<Long, INDArray> views = keptRows.computeIfAbsent(batch, b -> new HashMap<>());
        if (views.size() > batch.size(0)) {
            views.clear();
        }
        return views.computeIfAbsent(((long) from << 32) | to, k -> {
            try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                return rows(batch, from, to);
            }
        });
    }

    /** How many weights the model's stages hold (allocated for this input size or not). */
    public long parameters() {
        return planned.stream().mapToLong(Stage::parameters).sum();
    }

    /**
     * How many weights this network's stages hold for memory estimates: the model's {@link #parameters} and the copies
     * made for this network alone (convolutions with their batch norms folded in, {@link ModelGraph}).
     */
    public long heldParameters() {
        return planned.stream().mapToLong(s -> s.parameters() + s.copiedParameters()).sum();
    }

    public long batch() {
        return input.size(0);
    }

    public DataType dataType() {
        return input.dataType();
    }

    /** The buffer the next forward pass reads; fill it, then call {@link #forward}. */
    public INDArray input() {
        return input;
    }

    /**
     * Starts timing every stage's forward and backward passes (a profile, {@code bench --profile}): the times of
     * all passes from now on are kept in the returned record, which replaces any earlier one.
     */
    public StageTimes timeStages() {
        times = new StageTimes(stages);
        return times;
    }

    /** Runs the stages needed to compute every one of {@code targets}, and no others. */
    public void forward(Collection<String> targets) {
        boolean[] need = needed(targets);
        for (int i = 0; i < stages.length; i++) {
            computed[i] = need[i];
            if (need[i] && times == null) {
                stages[i].forward();
            } else if (need[i]) {
                long[] t = StageTimes.now();
                stages[i].forward();
                times.forward(i, t);
            }
        }
    }

    /** The nodes the targets depend on, themselves included. */
    private boolean[] needed(Collection<String> targets) {
        boolean[] need = new boolean[stages.length];
        for (String t : targets) {
            need[node(t)] = true;
        }
        for (int i = stages.length - 1; i >= 0; i--) {
            if (need[i]) {
                for (int src : from[i]) {
                    if (src != StageGraph.INPUT) {
                        need[src] = true;
                    }
                }
            }
        }
        return need;
    }

    /** Output of a layer after {@link #forward}: [batch, c, h, w] or [batch, units]. */
    public INDArray output(String layer) {
        int node = node(layer);
        if (!computed[node]) {
            throw new IllegalStateException("layer " + layer + " was not computed by the last forward pass");
        }
        return stages[node].out;
    }

    /**
     * Zeroes the gradient buffers of these layers (shaped like their outputs). Objectives then add
     * d(objective)/d(output) into {@link #gradient}; only these layers take part in the next {@link #backward}.
     */
    public void clearGradients(Collection<String> layers) {
        for (String layer : layers) {
            // Lives as long as the network, so never in a step's workspace.
            zero(objectiveGradients.computeIfAbsent(layer, l -> zerosLike(output(l))), 0, batch());
        }
    }

    /**
     * Zeroes images {@code [from, to)} of these layers' gradient buffers only, for one of several runs sharing the
     * batch; the buffers of layers not cleared before are made and zeroed whole.
     */
    public void clearGradients(Collection<String> layers, int from, int to) {
        for (String layer : layers) {
            INDArray g = objectiveGradients.get(layer);
            if (g == null) {
                clearGradients(List.of(layer));
            } else {
                zero(g, from, to);
            }
        }
    }

    /**
     * Zeroes images {@code [from, to)} of a gradient buffer. One stored channels last is zeroed through its dense NHWC
     * storage, where those images are one contiguous stretch: libnd4j's scalar op on the permuted view walks it
     * element by element (1.1 ms against 0.05 for fashion-cnn's conv4 at batch 64).
     */
    private static void zero(INDArray g, long from, long to) {
        INDArray dense = ChannelsLast.is(g) ? ChannelsLast.storage(g) : g;
        (from == 0 && to == g.size(0) ? dense : rows(dense, (int) from, (int) to)).assign(0);
    }

    /** A mask of {@link #channelMask} and the channel of each image it was made for. */
    private record ChannelMask(int[] channels, INDArray mask) {
    }

    /**
     * A mask shaped like {@code layer}'s output, [n, c, h, w], stored as its gradient buffer is (channels last or not):
     * on image i's channel {@code channels[i]}, 1/(h*w) (in the output's type) over the whole h x w plane, zero
     * elsewhere and on every image whose channel is negative. The mean of that channel's plane is the product with the
     * output summed, and the mask is that mean's gradient. Kept outside any workspace, and made again only when the
     * channels differ from the last call's for this layer: runs sharing a batch ask for the same mask step after step,
     * whose full-size host array, built and copied in every step, cost more than the rest of the objectives.
     *
     * @param channels one per image of the batch: a channel of the layer, or negative for none
     * @return the mask, not to be changed (the next call may return it again)
     * @throws IllegalArgumentException when there is not one channel per image
     */
    public INDArray channelMask(String layer, int[] channels) {
        if (channels.length != batch()) {
            throw new IllegalArgumentException(channels.length + " channels for a batch of " + batch());
        }
        ChannelMask last = channelMasks.get(layer);
        if (last != null && Arrays.equals(last.channels(), channels)) {
            return last.mask();
        }
        INDArray out = output(layer);
        INDArray mask;
        if (last != null) {
            mask = last.mask();
            zero(mask, 0, mask.size(0));
        } else {
            mask = zerosLike(out);
        }
        double share = 1.0 / (out.size(2) * out.size(3));
        for (int i = 0; i < channels.length; i++) {
            if (channels[i] >= 0) {
                mask.get(NDArrayIndex.point(i), NDArrayIndex.point(channels[i])).assign(share);
            }
        }
        channelMasks.put(layer, new ChannelMask(channels.clone(), mask));
        return mask;
    }

    /**
     * A zeroed array of {@code like}'s shape and type, stored as it is (channels last or plain), outside any workspace:
     * a mask that lives beside a layer's gradient buffer from step to step.
     */
    public static INDArray zerosLike(INDArray like) {
        try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return ChannelsLast.like(like);
        }
    }

    /**
     * Places {@code mask} as the gradient ({@code gradient.assign(mask)}) and returns each image's sum of output times
     * mask: with {@link #channelMask}'s mask, each image's mean of its channel. Arrays [n, c, h, w]; when all three are
     * stored channels last, both ops run on their dense NHWC storage, where libnd4j's element-wise and reduce ops take
     * their fast paths (0.9 ms against 3.2 for fashion-cnn's conv4 at batch 64, in a step's workspace). The sums are
     * {@link HostArrays#rowSums}, so a run's values are the same bits alone and in a batch of others.
     */
    public static double[] maskedSums(INDArray output, INDArray gradient, INDArray mask) {
        INDArray[] a = ChannelsLast.elementwise(output, gradient, mask);
        a[1].assign(a[2]);
        // Each image's products are summed in the order of the maps' memory, channels last or not, for a whole array as
        // for a run's rows of a batch (no whole array, so not handed over as dense storage): else a run's value alone and
        // batched differed in the last bits (rows summed in [c, h, w] order, a whole array in [h, w, c]).
        return HostArrays.rowSums(ChannelsLast.laidOut(output) ? output.permute(0, 2, 3, 1).mul(mask.permute(0, 2, 3, 1)) : output.mul(mask));
    }

    /** The gradient buffer of a layer, after {@link #clearGradients}. */
    public INDArray gradient(String layer) {
        INDArray g = objectiveGradients.get(layer);
        if (g == null) {
            throw new IllegalStateException("gradients of layer " + layer + " were not cleared first");
        }
        return g;
    }

    /**
     * Back-propagates the gradients placed in {@link #gradient} since the last forward pass, down to
     * the input. Returns the gradient at the input (a buffer reused by the next call, free to change until then).
     */
    public INDArray backward(Collection<String> targets, double leak) {
        return backward(targets, Leak.of(leak));
    }

    /**
     * {@link #backward(Collection, double)} with a leak slope per image ([batch]), for runs at different steps
     * of their leaky starts sharing one batch: each image's gradient is what a batch of its own would get.
     */
    public INDArray backward(Collection<String> targets, double[] leakPerImage) {
        if (leakPerImage.length != batch()) {
            throw new IllegalArgumentException(leakPerImage.length + " leak slopes for a batch of " + batch());
        }
        return backward(targets, Leak.perImage(leakPerImage));
    }

    private INDArray backward(Collection<String> targets, Leak leak) {
        propagate(targets, leak, 0);
        // The caller may change the result in place (total variation adds to it), so hand out our own buffer.
        if (grads[0] == null) {
            return sum(0).assign(0);
        }
        return owned[0] ? grads[0] : sum(0).assign(grads[0]);
    }

    /**
     * Back-propagates the gradients placed at {@code targets} only as far as {@code layer}, and returns the
     * gradient at that layer's output, shaped like it (zero where the targets do not depend on it). Read it
     * before the next backward pass. Grad-CAM weighs a layer's maps with this.
     */
    public INDArray backwardTo(String layer, Collection<String> targets) {
        int slot = node(layer) + 1;
        propagate(targets, Leak.NONE, slot);
        return grads[slot] != null ? grads[slot] : sum(slot).assign(0);
    }

    /** Runs the backward pass from the targets down to the stages after gradient slot {@code stop}. */
    private void propagate(Collection<String> targets, Leak leak, int stop) {
        boolean[] need = needed(targets);
        Arrays.fill(grads, null);
        for (String t : targets) {
            INDArray placed = objectiveGradients.get(t);
            if (placed == null) {
                throw new IllegalStateException("no gradient placed at layer " + t);
            }
            accumulate(node(t) + 1, placed);
        }
        for (int i = stages.length - 1; i >= stop; i--) {
            if (!need[i] || grads[i + 1] == null) {
                continue;
            }
            Integer unfolded = folded.get(i);
            if (unfolded != null && unfolded + 1 == stop) {
                // The convolution's own output is where this pass stops: go there through the norm, not past it.
                accumulate(stop, ((FoldedBatchNormStage) stages[i]).gradientBeforeNorm(grads[i + 1], stages[unfolded].out));
                continue;
            }
            if (times == null) {
                stages[i].backward(grads[i + 1], leak);
            } else {
                long[] t = StageTimes.now();
                stages[i].backward(grads[i + 1], leak);
                times.backward(i, t);
            }
            for (int k = 0; k < from[i].length; k++) {
                accumulate(from[i][k] + 1, stages[i].gradIn(k));
            }
        }
    }

    /**
     * Adds a gradient at a slot. The first one is only referenced (a chain never copies); a second one,
     * where a node feeds several others, is summed in a buffer of the slot's own, never in a borrowed one.
     */
    private void accumulate(int slot, INDArray g) {
        if (grads[slot] == null) {
            grads[slot] = g;
            owned[slot] = false;
            return;
        }
        if (!owned[slot]) {
            grads[slot] = sum(slot).assign(grads[slot]);
            owned[slot] = true;
        }
        grads[slot].addi(g);
    }

    private INDArray sum(int slot) {
        if (sums[slot] == null) {
            try (var outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                sums[slot] = ChannelsLast.like(slot == 0 ? input : stages[slot - 1].out);
            }
        }
        return sums[slot];
    }

    private int node(String layer) {
        Integer i = nodeOfLayer.get(aliases.getOrDefault(layer, layer));
        if (i == null) {
            throw new IllegalArgumentException(unavailable(layer));
        }
        return i;
    }

    /**
     * Why some of the model's layers among this network's stages could not take its input size: the first stage that
     * could not, in topological order (e.g. "layer output expects 1024 inputs, got shape [1, 7744]"); null when all could.
     */
    public String truncation() {
        return truncated;
    }

    /** Why a layer cannot be used with this network. */
    public String unavailable(String layer) {
        return truncated != null && allLayers.contains(aliases.getOrDefault(layer, layer))
                ? "layer '" + layer + "' is not available for " + input.size(2) + "x" + input.size(3) + " images ("
                        + truncated + "); use the model's own input size"
                : "no layer named '" + layer + "' (layers: " + nodeOfLayer.keySet() + ")";
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Network" + Arrays.toString(input.shape()));
        for (int i = 0; i < stages.length; i++) {
            if (stages[i] == null) {
                continue;
            }
            s.append("\n  ").append(stages[i].layer == null ? "-" : stages[i].layer).append(": ").append(stages[i].description());
            boolean chained = from[i].length == 1 && from[i][0] == i - 1;
            if (!chained) {
                s.append(" <- ").append(Arrays.toString(from[i]));
            }
        }
        return s.toString();
    }
}
