package io.filterscope.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.preprocessors.TensorFlowCnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a DL4J model (its layer configurations and parameters) into a {@link Network} of native ops.
 * DL4J loads and describes models; this chain is what ascent runs on, because DL4J's own layers never
 * reach oneDNN and are many times slower. Output layers are exposed before their softmax, so a class
 * objective maximizes the logit.
 */
public final class NetworkCompiler {
    private NetworkCompiler() {
    }

    /** @param chw input shape of one image: channels, height, width */
    public static Network compile(Model model, DataType dtype, long batch, long[] chw) {
        List<Stage> stages = new ArrayList<>();
        if (model instanceof MultiLayerNetwork mln) {
            int n = mln.getnLayers();
            for (int i = 0; i < n; i++) {
                addPreProcessor(stages, mln.getLayerWiseConfigurations().getInputPreProcess(i), "layer " + i);
                Layer conf = mln.getLayerWiseConfigurations().getConf(i).getLayer();
                addLayer(stages, conf, nameOf(conf, i), mln.getLayer(i), dtype);
            }
        } else if (model instanceof ComputationGraph graph) {
            var conf = graph.getConfiguration();
            String previous = conf.getNetworkInputs().get(0);
            if (conf.getNetworkInputs().size() != 1) {
                throw new UnsupportedLayerException("models with several inputs are not supported");
            }
            for (String name : conf.getTopologicalOrderStr()) {
                if (conf.getNetworkInputs().contains(name)) {
                    continue;
                }
                List<String> inputs = conf.getVertexInputs().get(name);
                if (inputs.size() != 1 || !inputs.get(0).equals(previous)) {
                    throw new UnsupportedLayerException("vertex " + name + " takes inputs " + inputs
                            + "; only chains of layers are supported so far");
                }
                GraphVertex vertex = conf.getVertices().get(name);
                if (vertex instanceof PreprocessorVertex pv) {
                    // Keras' Flatten in a functional model, say: a reshape of its own, not a layer's input.
                    addPreProcessor(stages, pv.getPreProcessor(), name);
                    previous = name;
                    continue;
                }
                if (!(vertex instanceof LayerVertex lv)) {
                    throw new UnsupportedLayerException("vertex " + name + " (" + vertex.getClass().getSimpleName()
                            + ") is not supported");
                }
                addPreProcessor(stages, lv.getPreProcessor(), name);
                addLayer(stages, lv.getLayerConf().getLayer(), name, graph.getLayer(name), dtype);
                previous = name;
            }
        } else {
            throw new UnsupportedLayerException("unsupported model type " + model.getClass().getSimpleName());
        }
        for (int i = 0; i < stages.size() - 1; i++) {
            if (stages.get(i) instanceof DenseStage d && d.beforeSoftmax) {
                throw new UnsupportedLayerException("layer " + d.layer + ": softmax is supported only on the output layer");
            }
        }
        return new Network(stages, dtype, new long[] {batch, chw[0], chw[1], chw[2]});
    }

    private static String nameOf(Layer conf, int index) {
        String name = conf.getLayerName();
        return name == null || name.isBlank() ? "layer" + index : name;
    }

    private static void addPreProcessor(List<Stage> stages, InputPreProcessor pre, String where) {
        if (pre == null) {
            return;
        }
        if (pre instanceof CnnToFeedForwardPreProcessor c) {
            // Maps stay NCHW here whatever the model's format; a channels-last model's dense weights expect
            // its flattened rows in NHWC order (Keras' TensorFlow import marks that by format or by class).
            boolean channelsLast = c.getFormat() == CNN2DFormat.NHWC || c instanceof TensorFlowCnnToFeedForwardPreProcessor;
            stages.add(channelsLast ? ReshapeStage.flattenChannelsLast() : new ReshapeStage(null));
            return;
        }
        if (pre instanceof FeedForwardToCnnPreProcessor f) {
            // At the network's input our images are already NCHW, which DL4J passes through unchanged.
            if (!stages.isEmpty()) {
                stages.add(new ReshapeStage(new long[] {f.getNumChannels(), f.getInputHeight(), f.getInputWidth()}));
            }
            return;
        }
        throw new UnsupportedLayerException("input preprocessor " + pre.getClass().getSimpleName() + " before "
                + where + " is not supported");
    }

    private static void addLayer(List<Stage> stages, Layer conf, String name,
                                 org.deeplearning4j.nn.api.Layer layer, DataType dtype) {
        if (conf instanceof ConvolutionLayer c && conf.getClass() == ConvolutionLayer.class) {
            // NHWC layers (Keras channels_last imports) run NCHW here too: DL4J keeps convolution weights as
            // [out, in, kh, kw] in either format, and only a flatten sees the difference (addPreProcessor).
            stages.add(new ConvStage(name, param(layer, "W", dtype), c.hasBias() ? param(layer, "b", dtype) : null,
                    c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(),
                    c.getConvolutionMode() == ConvolutionMode.Same));
            addActivation(stages, name, c.getActivationFn());
        } else if (conf instanceof SubsamplingLayer s && conf.getClass() == SubsamplingLayer.class) {
            boolean max = s.getPoolingType() == PoolingType.MAX;
            if (!max && s.getPoolingType() != PoolingType.AVG) {
                throw new UnsupportedLayerException("layer " + name + ": " + s.getPoolingType() + " pooling is not supported");
            }
            boolean same = s.getConvolutionMode() == ConvolutionMode.Same;
            if (!max && (same || s.getPadding()[0] != 0 || s.getPadding()[1] != 0)) {
                throw new UnsupportedLayerException("layer " + name + ": padded average pooling is not supported");
            }
            stages.add(new PoolStage(name, max, s.getKernelSize(), s.getStride(), s.getPadding(), same));
        } else if (conf instanceof BaseOutputLayer o) {
            addDense(stages, name, param(layer, "W", dtype), o.hasBias() ? param(layer, "b", dtype) : null, o.getActivationFn());
        } else if (conf instanceof DenseLayer d) {
            // A dense layer with softmax is a Keras model's output layer (imports have no OutputLayer).
            addDense(stages, name, param(layer, "W", dtype), d.hasBias() ? param(layer, "b", dtype) : null, d.getActivationFn());
        } else if (conf instanceof ActivationLayer a && a.getActivationFn() instanceof ActivationSoftmax) {
            // Keras' Activation("softmax") after a linear dense layer: that layer's logits are the output.
            if (stages.isEmpty() || !(stages.get(stages.size() - 1) instanceof DenseStage d)) {
                throw new UnsupportedLayerException("layer " + name + ": softmax is supported only after a dense layer");
            }
            d.beforeSoftmax = true;
        } else if (conf instanceof ActivationLayer a) {
            stages.add(new ActivationStage(name, alpha(name, a.getActivationFn())));
        } else if (conf instanceof DropoutLayer) {
            // Dropout does nothing at inference: the layer is the identity, so it adds no stage.
            return;
        } else {
            throw new UnsupportedLayerException("layer " + name + " (" + conf.getClass().getSimpleName()
                    + ") is not supported");
        }
    }

    /** A dense layer; with softmax, exposed before it (the logits), which only the last layer may do. */
    private static void addDense(List<Stage> stages, String name, INDArray w, INDArray b, IActivation fn) {
        DenseStage dense = new DenseStage(name, w, b);
        stages.add(dense);
        if (fn instanceof ActivationSoftmax) {
            dense.beforeSoftmax = true;
        } else {
            addActivation(stages, name, fn);
        }
    }

    private static void addActivation(List<Stage> stages, String name, IActivation fn) {
        if (fn instanceof ActivationIdentity) {
            return;
        }
        stages.add(new ActivationStage(name, alpha(name, fn)));
    }

    private static double alpha(String name, IActivation fn) {
        if (fn instanceof ActivationReLU relu) {
            // DL4J's ReLU can carry a max, a threshold or a negative slope; only the plain one is supported.
            if (!relu.toString().equals(new ActivationReLU().toString())) {
                throw new UnsupportedLayerException("layer " + name + ": ReLU with options " + relu + " is not supported");
            }
            return 0;
        }
        if (fn instanceof ActivationLReLU lrelu) {
            return lrelu.getAlpha();
        }
        throw new UnsupportedLayerException("layer " + name + ": activation " + fn + " is not supported");
    }

    private static INDArray param(org.deeplearning4j.nn.api.Layer layer, String key, DataType dtype) {
        return layer.getParam(key).castTo(dtype).dup('c');
    }
}
