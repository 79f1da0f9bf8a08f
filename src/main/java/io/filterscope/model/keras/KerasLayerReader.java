package io.filterscope.model.keras;

import java.io.IOException;
import java.util.List;

/**
 * Turns one Keras layer class into engine ops: one small reader per class, registered by class name in
 * {@link KerasLayers} (as Keras itself deserializes layers, and as onnx2torch converts ONNX nodes).
 */
interface KerasLayerReader {

    /**
     * What in this layer's configuration cannot be computed, in a few words ("interpolation 'bicubic'"), or
     * null when the layer can be read. Sees the configuration only, never weights, so models are checked when
     * they are listed.
     */
    default String unsupported(KerasLayer layer) {
        return null;
    }

    /** Adds the ops of one call of the layer to its inputs and returns the tensor it produces. */
    KerasTensor read(KerasLayer layer, List<KerasTensor> inputs, KerasGraph graph) throws IOException;
}
