package experiment

// Builtin registers the numerical experiments and benchmark suites that live
// in this package. Experiments of other parts of the module (the ledger)
// register themselves from their own side.
func Builtin(r *Registry) error {
	if err := r.Add(builtinExperiments()...); err != nil {
		return err
	}
	return r.AddBenchmark(builtinBenchmarks()...)
}

// builtinExperiments lists the experiments in report order; each file of this
// package contributes its constructors here.
func builtinExperiments() []Experiment {
	return []Experiment{
		sketchDistortion(),
		lsqConditioning(),
		lsqSketchSolve(),
		lsqCoherence(),
		newtonFormulas(),
		newtonPD(),
		newtonSampling(),
		newtonConvergence(),
		newtonCost(),
	}
}

// builtinBenchmarks lists the benchmark suites of `sketchwork bench`.
func builtinBenchmarks() []Experiment {
	return []Experiment{
		benchLSQ(),
		benchNewton(),
	}
}
