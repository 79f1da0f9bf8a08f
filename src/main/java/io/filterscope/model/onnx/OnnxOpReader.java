package io.filterscope.model.onnx;

import java.io.IOException;

/**
 * Reads one kind of ONNX node into the engine's graph: looks at the node's inputs (constants or activations),
 * adds the engine ops that compute it and records its outputs. Registered in {@link OnnxOpReaders} under its
 * op type and the opset version its behaviour dates from.
 */
@FunctionalInterface
interface OnnxOpReader {
    /**
     * @throws io.filterscope.engine.net.UnsupportedLayerException (from {@link OnnxNode#refuse}) for a
     *         setting the engine cannot compute
     */
    void read(OnnxNode node, OnnxGraph graph) throws IOException;
}
