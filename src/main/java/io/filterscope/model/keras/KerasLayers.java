package io.filterscope.model.keras;

import io.filterscope.engine.net.UnsupportedLayerException;
import java.util.HashMap;
import java.util.Map;

/**
 * The registry of {@link KerasLayerReader}s by Keras class name, grouped in files by family. Looking a layer
 * up is the one place a layer is refused, with one line naming the layer, its class and what is unsupported.
 */
final class KerasLayers {
    private static final Map<String, KerasLayerReader> READERS = new HashMap<>();

    static {
        CoreLayers.register(READERS);
        ConvolutionLayers.register(READERS);
        ActivationLayers.register(READERS);
        PoolingLayers.register(READERS);
        NormalizationLayers.register(READERS);
        ReshapingLayers.register(READERS);
        MergeLayers.register(READERS);
        ApplicationLayers.register(READERS);
    }

    private KerasLayers() {
    }

    /**
     * The reader for this layer.
     *
     * @throws UnsupportedLayerException "layer 'name' (Class): what is not supported"
     */
    static KerasLayerReader reader(KerasLayer layer) {
        KerasLayerReader r = READERS.get(layer.className());
        if (r == null) {
            throw refusal(layer, unknown(layer.className()));
        }
        String why = r.unsupported(layer);
        if (why == null && layer.config().has("activation")) {
            why = Activations.unsupported(layer.config().get("activation"));
        }
        if (why != null) {
            throw refusal(layer, why + " is not supported");
        }
        return r;
    }

    static UnsupportedLayerException refusal(KerasLayer layer, String what) {
        return new UnsupportedLayerException("layer '" + layer.name() + "' (" + layer.className() + "): " + what);
    }

    private static String unknown(String cls) {
        if (cls.equals("Lambda")) {
            return "a Lambda layer is Python code, which FilterScope never runs";
        }
        return "not a layer FilterScope can compute (the code of custom layers is never run)";
    }
}
