package io.filterscope.model.keras;

import io.filterscope.engine.param.InputSpace;
import java.util.List;
import java.util.Locale;

/**
 * The input a Keras model expects, from what its file says: a Rescaling or Normalization layer first means
 * it takes raw 0-255 pixels and scales them itself (EfficientNet, MobileNetV3, ConvNeXt); otherwise the name
 * Keras applications give each network tells which of their preprocess_input modes it was trained with
 * ("caffe": BGR, 0-255, ImageNet mean subtracted; "tf": -1 to 1; "torch": 0-1, ImageNet mean and std).
 * Anything else gets FilterScope's default (null here).
 */
final class KerasPreprocessing {
    private static final InputSpace TF = InputSpace.range(-1, 1);
    private static final InputSpace TORCH = InputSpace.TORCHVISION;

    /** An input and how it was decided, in words. */
    record Hint(InputSpace input, String text) {
    }

    private KerasPreprocessing() {
    }

    static Hint of(KerasModel model) {
        for (KerasLayer l : model.layers()) {
            if (l.className().equals("Rescaling") || l.className().equals("Normalization")) {
                return new Hint(InputSpace.range(0, 255), "0-255 pixels, scaled by its own " + l.className() + " layer " + l.name());
            }
            if (!l.className().equals("InputLayer")) {
                break;
            }
        }
        for (String n : model.modelNames()) {
            Hint h = byName(n);
            if (h != null) {
                return h;
            }
        }
        return null;
    }

    private static Hint byName(String modelName) {
        String name = modelName.toLowerCase(Locale.ROOT);
        if (name.matches("vgg(16|19)|resnet(50|101|152)")) {
            return new Hint(InputSpace.CAFFE_BGR, "Keras applications' caffe preprocessing for " + modelName
                    + " (BGR, 0-255, ImageNet mean subtracted)");
        }
        if (name.matches("resnet(50|101|152)v2|inception_v3|inception_resnet_v2|xception|mobilenet(v2)?_.*|nasnet.*")) {
            return new Hint(TF, "Keras applications' tf preprocessing for " + modelName + " (-1 to 1)");
        }
        if (name.matches("densenet(121|169|201)")) {
            return new Hint(TORCH, "Keras applications' torch preprocessing for " + modelName + " (0-1, ImageNet mean and std)");
        }
        return null;
    }
}
