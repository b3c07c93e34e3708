"""Every layer of the engine, registered by class name on import (Keras names)."""

from ..symbolic import Input  # `keras.layers.Input`, as in Keras
from .activation_layers import ELU, Identity, LeakyReLU, ReLU, Softmax
from .activity_regularization import ActivityRegularization
from .attention import AdditiveAttention, Attention
from .base import Layer, WeightSpec
from .bidirectional import Bidirectional
from .category_encoding import CategoryEncoding
from .conv import Conv1D, Conv2D
from .conv1d_variants import Conv1DTranspose, DepthwiseConv1D, SeparableConv1D
from .conv3d import Conv3D
from .conv_variants import Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .core import Activation, Dense, InputLayer
from .dot import Dot
from .embedding import Embedding
from .functional_helpers import (add, average, concatenate, dot, maximum, minimum, multiply,
                                 subtract)
from .global_pooling import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                             GlobalMaxPooling2D)
from .image_augmentation import RandomContrast, RandomCrop, RandomFlip
from .image_augmentation_affine import RandomRotation, RandomTranslation, RandomZoom
from .image_preprocessing import CenterCrop, Resizing
from .masking import Masking
from .merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from .multi_head_attention import MultiHeadAttention
from .normalization import BatchNormalization, LayerNormalization
from .normalization_adapt import Normalization
from .normalization_extra import GroupNormalization, UnitNormalization
from .pooling import AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
from .pooling3d import (AveragePooling3D, AvgPool3D, GlobalAveragePooling3D, GlobalAvgPool3D,
                        GlobalMaxPool3D, GlobalMaxPooling3D, MaxPool3D, MaxPooling3D)
from .preprocessing import Rescaling
from .prelu import PReLU
from .recurrent import GRU, LSTM, SimpleRNN
from .regularization import Dropout, GaussianNoise
from .regularization_extra import (AlphaDropout, GaussianDropout, SpatialDropout1D,
                                   SpatialDropout2D)
from .reshaping import (Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling2D,
                        ZeroPadding2D)
from .reshaping1d import Cropping1D, UpSampling1D, ZeroPadding1D
from .wrappers import TimeDistributed
