package io.filterscope.model.onnx;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every ONNX operation FilterScope reads, by domain, op type and the opset version its current behaviour dates
 * from (its "since version"), as onnx2torch's node converters are found. A node is read by the converter with
 * the highest since-version not above the model's opset; a node no converter takes is refused here, in one
 * line, with its name, op type and opset. The converters live in one file per family.
 */
final class OnnxOpReaders {
    /** The domain of the operations the reader forms itself from patterns of nodes (GELU from Erf, SiLU...). */
    static final String FUSED = "io.filterscope.fused";
    private static final OnnxOpReaders ALL = new OnnxOpReaders();

    private final Map<String, TreeMap<Integer, OnnxOpReader>> byType = new HashMap<>();

    private OnnxOpReaders() {
        ShapeReaders.register(this);
        ConvolutionReaders.register(this);
        ActivationReaders.register(this);
        PoolingReaders.register(this);
        ElementwiseReaders.register(this);
        LinearReaders.register(this);
        NormalizationReaders.register(this);
    }

    /** Registers a converter for the default (ai.onnx) domain. */
    void add(String opType, int sinceVersion, OnnxOpReader reader) {
        add("", opType, sinceVersion, reader);
    }

    void add(String domain, String opType, int sinceVersion, OnnxOpReader reader) {
        TreeMap<Integer, OnnxOpReader> versions = byType.computeIfAbsent(key(domain, opType), k -> new TreeMap<>());
        if (versions.put(sinceVersion, reader) != null) {
            throw new IllegalStateException(opType + " since " + sinceVersion + " is registered twice");
        }
    }

    private static String key(String domain, String opType) {
        return (domain.equals("ai.onnx") ? "" : domain) + ":" + opType;
    }

    /** The converter for this node under its opset, or the refusal naming node, op type and opset. */
    static OnnxOpReader find(OnnxNode node) {
        TreeMap<Integer, OnnxOpReader> versions = ALL.byType.get(key(node.domain(), node.opType()));
        if (versions == null) {
            String domain = node.domain().isEmpty() || node.domain().equals("ai.onnx") ? "" : " of domain " + node.domain();
            throw node.refuse("operation " + node.opType() + domain + " is not supported");
        }
        var entry = versions.floorEntry(node.opset());
        if (entry == null) {
            throw node.refuse("only " + node.opType() + " from opset " + versions.firstKey() + " on is supported");
        }
        return entry.getValue();
    }
}
