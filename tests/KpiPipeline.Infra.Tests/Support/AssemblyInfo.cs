// Every CDK call goes through one jsii node process over one pipe; test classes calling it from
// parallel collections interleave their requests and read each other's responses
// (seen as a Newtonsoft JsonReaderException). The whole assembly runs in ~5 s serially.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
