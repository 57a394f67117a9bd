package repository

import (
	"context"
	"fmt"

	"takaffoul/domain"
)

// demoIndicators are the results framework's indicators of the report's
// figures (docs/INDICATORS.md): the whole-period targets are the report's
// figures ("151 local actors were targeted"), so the demo's recorded values
// meet them (151 / 121 / 30 / 30 / 96). The report gives no yearly targets
// nor baselines: the yearly split is illustrative, and the baseline is 0 in
// the programme's first year (nobody had been trained by it).
func demoIndicators() []domain.Indicator {
	cp := func(code, titleAr, titleFr, figure string, target, first int) domain.Indicator {
		return domain.Indicator{Code: code, TitleAr: titleAr, TitleFr: titleFr, Figure: figure,
			Programme: DemoChildProtection, FirstYear: 2019, LastYear: 2020, BaselineYear: 2019, Target: target,
			Targets: []domain.IndicatorTarget{{Year: 2019, Target: first}, {Year: 2020, Target: target - first}}}
	}
	return []domain.Indicator{
		cp("cp-local-actors-trained", "الفاعلون المحليون المكوَّنون في حماية الطفولة",
			"Acteurs locaux formés à la protection de l’enfance", "local_actors.trained", 151, 75),
		cp("cp-institutional-trained", "الفاعلون المؤسساتيون المكوَّنون",
			"Acteurs institutionnels formés", "by_category.institutional_actor.trained", 121, 60),
		cp("cp-associative-trained", "الفاعلون الجمعويون المكوَّنون",
			"Acteurs associatifs formés", "by_category.associative_actor.trained", 30, 15),
		cp("cp-child-parliamentarians-trained", "برلمانيو الطفل المكوَّنون",
			"Enfants parlementaires formés", "by_category.child_parliamentarian.trained", 30, 15),
		{Code: "pp-associations-trained", TitleAr: "الجمعيات المستفيدة من التكوين في الوالدية الإيجابية",
			TitleFr: "Associations bénéficiaires de la formation à la parentalité positive", Figure: "associations.trained",
			Programme: DemoPositiveParenting, FirstYear: 2017, LastYear: 2020, BaselineYear: 2017, Target: 96,
			Targets: []domain.IndicatorTarget{{Year: 2017, Target: 24}, {Year: 2018, Target: 24},
				{Year: 2019, Target: 24}, {Year: 2020, Target: 24}}},
	}
}

// indicators defines the demo's indicators that are not there yet (by code).
func (a *demoApplier) indicators(ctx context.Context) error {
	existing, err := a.store.Indicators(ctx, "")
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[e.Code] = true
	}
	for _, ind := range demoIndicators() {
		if have[ind.Code] {
			continue
		}
		if err := a.store.CreateIndicator(ctx, &ind, nil); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
		a.report.Indicators++
	}
	return nil
}
