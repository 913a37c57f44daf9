using LlamaSteer.Errors;

namespace LlamaSteer.Serving;

/// <summary>Every slot is busy and the queue is at its limit; try again later.</summary>
public sealed class QueueFullException(int limit) : LlamaSteerException($"The queue is full ({limit} requests waiting); retry later.")
{
    public int Limit { get; } = limit;
}

/// <summary>The scheduler is stopping or stopped and takes no more requests.</summary>
public sealed class SchedulerStoppedException() : LlamaSteerException("The server is shutting down and takes no new requests.");
