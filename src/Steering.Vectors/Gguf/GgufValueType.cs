namespace LlamaSteer.Gguf;

/// <summary>
/// The type tag of a GGUF metadata value, as stored in the file (<c>enum gguf_type</c> in llama.cpp's gguf.h).
/// </summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    /// <summary>One byte; llama.cpp reads any non-zero byte as true.</summary>
    Bool = 7,
    /// <summary>uint64 byte length, then UTF-8 bytes without a terminating NUL.</summary>
    String = 8,
    /// <summary>uint32 element type, uint64 count, then the elements.</summary>
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}
