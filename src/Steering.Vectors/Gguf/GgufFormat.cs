using System.Text;

namespace LlamaSteer.Gguf;

/// <summary>Constants of the GGUF container as llama.cpp v0.5.0 defines and checks them (ggml/include/gguf.h, ggml/src/gguf.cpp).</summary>
internal static class GgufFormat
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    public const uint Version = 3;
    public const uint OldestReadableVersion = 2;

    /// <summary>GGUF_DEFAULT_ALIGNMENT.</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>GGUF_KEY_GENERAL_ALIGNMENT; its value must be a uint32 power of two.</summary>
    public const string AlignmentKey = "general.alignment";

    /// <summary>GGUF_MAX_STRING_LENGTH and GGUF_MAX_ARRAY_ELEMENTS: larger ones llama.cpp refuses outright.</summary>
    public const long MaxStringLength = 1L << 30;
    public const long MaxArrayElements = 1L << 30;

    /// <summary>GGML_MAX_NAME: a tensor name must be shorter (it is copied into a char[64] with its NUL).</summary>
    public const int MaxTensorNameBytes = 63;

    /// <summary>Magic, version, tensor count, metadata count.</summary>
    public const int HeaderSize = 4 + 4 + 8 + 8;

    /// <summary>Smallest metadata entry: key length, a one-byte key, the type, a one-byte value.</summary>
    public const int MinMetadataEntrySize = 8 + 1 + 4 + 1;

    /// <summary>Smallest tensor info: name length, an empty name, n_dims, one dimension, type, offset.</summary>
    public const int MinTensorInfoSize = 8 + 4 + 8 + 4 + 8;

    /// <summary>UTF-8 that throws on invalid bytes (reading) and on lone surrogates (writing) instead of substituting.</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsPowerOfTwo(uint value) => value != 0 && (value & (value - 1)) == 0;

    public static long AlignUp(long value, uint alignment) => checked((value + alignment - 1) / alignment * alignment);
}
