/** Activation names a block may use; `hswish`/`hsigmoid` are MobileNetV3's relu6(x+3)/6 forms. */
export const activationNames = ['linear', 'relu', 'relu6', 'sigmoid', 'hsigmoid', 'tanh', 'swish', 'hswish'] as const;
/** One of {@link activationNames}. */
export type ActivationName = (typeof activationNames)[number];
