package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One native op (or a few) of the compiled network, with its buffers allocated once for a fixed batch.
 * Forward reads {@link #in} and writes {@link #out}; backward turns the gradient at the output into the
 * gradient at the input ({@link #gradIn}). No weight gradients are computed: ascent only needs the input's.
 * Stages that join several inputs (residual additions, concatenations) override the array forms
 * {@link #allocate(INDArray[])} and {@link #gradIn(int)}.
 */
abstract class Stage {
    /** The model layer whose output this stage produces, or null for a stage inside a layer. */
    final String layer;
    INDArray in;
    INDArray out;
    INDArray gradIn;

    Stage(String layer) {
        this.layer = layer;
    }

    abstract long[] outputShape(long[] inputShape);

    /** The output's shape for these inputs' shapes, in the order the graph lists them; allocates nothing. */
    long[] outputShape(long[][] inputShapes) {
        return outputShape(inputShapes[0]);
    }

    /**
     * Multiply-adds of one forward pass for inputs of these shapes giving {@code outputShape}, for estimates of a
     * step's time: a stage with weights counts each output value's products; any other, one operation per output
     * value. Its backward pass (the input's gradient only) takes about as many again.
     */
    long multiplyAdds(long[][] inputShapes, long[] outputShape) {
        return volume(outputShape);
    }

    static long volume(long[] shape) {
        return java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    /** How many weights (and biases, scales, shifts) the stage holds, for memory estimates. */
    long parameters() {
        return 0;
    }

    /**
     * How many weights the stage holds beyond the model's own ({@link #parameters}): copies made for this stage alone,
     * such as a convolution's weights with a batch norm folded in. Memory estimates count them as parameters.
     */
    long copiedParameters() {
        return 0;
    }

    /** Human-readable op name, shown in listings and the bench output. */
    abstract String kind();

    /** What the stage computes, for listings of stages (the stage profile, {@link Network#toString}): its kind, or more. */
    String description() {
        return kind();
    }

    /**
     * Whether this stage's output may be stored {@link ChannelsLast channels last}: every stage that reads it
     * {@link #takesChannelsLast takes that}. Set by the network before {@link #allocate}.
     */
    boolean channelsLastAllowed;

    /**
     * Whether this stage reads inputs stored channels last as well as plain NCHW ones (its gradient at the input is
     * then stored the same way). Stages that do not are never given one.
     */
    boolean takesChannelsLast() {
        return false;
    }

    /** Whether this stage's output is its input array itself (a ReLU its input's stage already applied), set before {@link #allocate}. */
    boolean outputIsInput() {
        return false;
    }

    /** Whether, {@link #channelsLastAllowed allowed}, this stage stores its output for this input channels last. */
    boolean outputChannelsLast(INDArray input) {
        return false;
    }

    void allocate(INDArray input) {
        in = input;
        long[] shape = outputShape(input.shape());
        out = channelsLastAllowed && outputChannelsLast(input) ? ChannelsLast.create(input.dataType(), shape)
                : Nd4j.create(input.dataType(), shape);
        gradIn = ChannelsLast.like(input);
    }

    /** Allocates for the outputs of this stage's inputs, in the order the graph lists them. */
    void allocate(INDArray[] inputs) {
        if (inputs.length != 1) {
            throw new IllegalStateException(kind() + " takes one input, got " + inputs.length);
        }
        allocate(inputs[0]);
    }

    /** After {@link #backward}: the gradient at input {@code k}. Callers only read it. */
    INDArray gradIn(int k) {
        return gradIn;
    }

    abstract void forward();

    /** Fills {@link #gradIn}. {@code leak} is the slope given to inactive ReLUs (0 = a true ReLU gradient). */
    abstract void backward(INDArray gradOut, Leak leak);

    static void exec(String op, INDArray[] inputs, INDArray[] outputs, int[] intArgs, double... floatArgs) {
        Nd4j.exec(DynamicCustomOp.builder(op).addInputs(inputs).addOutputs(outputs)
                .addIntegerArguments(intArgs).addFloatingPointArguments(toObjects(floatArgs)).build());
    }

    /**
     * z = a (op) b for libnd4j's broadcasting pairwise ops ("add", "subtract", "multiply", "divide", "maximum",
     * "minimum"): shapes of equal rank, each axis equal or 1 in one of them, as numpy broadcasts.
     */
    static void pairwise(String op, INDArray a, INDArray b, INDArray z) {
        exec(op, new INDArray[] {a, b}, new INDArray[] {z}, new int[0]);
    }

    /** Sums {@code x} over the axes where {@code z} (same rank) has size 1 and {@code x} does not, into {@code z}. */
    static void sumTo(INDArray x, INDArray z) {
        int[] axes = reducedAxes(x.shape(), z.shape());
        if (axes.length == 0) {
            z.assign(x);
        } else {
            Nd4j.exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Sum(x, z, true, axes));
        }
    }

    static int[] reducedAxes(long[] full, long[] reduced) {
        return java.util.stream.IntStream.range(0, full.length).filter(d -> reduced[d] == 1 && full[d] != 1).toArray();
    }

    private static Double[] toObjects(double[] values) {
        Double[] boxed = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
